import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, type Env } from './env.js';

/** The file in the data folder that holds the generated secret. */
export const JWT_SECRET_FILE = 'jwt-secret';
const MIN_LENGTH = 32;

export interface StoredJwtSecret {
  secret: string;
  /** Where it is kept. */
  file: string;
  /** Whether this call generated it (else it was already there). */
  created: boolean;
}

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigValidationError([
      `${file} (the generated CONVENE_JWT_SECRET) is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
    ]);
  }
  const secret = text.trim();
  if (secret.length < MIN_LENGTH) {
    throw new ConfigValidationError([
      `${file} does not hold a JWT secret of at least ${MIN_LENGTH} characters; delete it to generate a new one, or set CONVENE_JWT_SECRET`,
    ]);
  }
  return secret;
}

/**
 * The join-token secret kept in `dataDir` (mode 0600), generated on first use so that tokens
 * survive a restart. The file appears complete or not at all (written aside, then hard-linked
 * into place, which fails if it exists): processes starting at once all end up with the winner's.
 */
export function loadOrCreateJwtSecret(dataDir: string): StoredJwtSecret {
  const file = join(dataDir, JWT_SECRET_FILE);
  const existing = readSecret(file);
  if (existing !== undefined) return { secret: existing, file, created: false };

  // Not 0700: the folder also holds the embedded PostgreSQL's data, whose server runs as the
  // postgres user when convene runs as root. The secret is protected by its own mode, 0600.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const secret = randomBytes(32).toString('base64url');
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(aside, 'wx', 0o600);
  try {
    writeSync(fd, `${secret}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, file);
    return { secret, file, created: true };
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
    // Another process created it first: theirs is the secret.
    const winner = readSecret(file);
    if (winner === undefined) throw error;
    return { secret: winner, file, created: false };
  } finally {
    unlinkSync(aside);
  }
}

/** CONVENE_JWT_SECRET when set; otherwise the generated one in the data folder, and its file. */
export function jwtSecretOf(env: Pick<Env, 'jwtSecret' | 'dataDir'>): {
  secret: string;
  file: string | undefined;
} {
  if (env.jwtSecret !== undefined) return { secret: env.jwtSecret, file: undefined };
  const { secret, file } = loadOrCreateJwtSecret(env.dataDir);
  return { secret, file };
}
