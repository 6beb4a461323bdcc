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

/** What a generated secret is called in messages, and how to replace it. */
interface SecretKind {
  /** e.g. "the generated CONVENE_JWT_SECRET" */
  what: string;
  /** The variable that, when set, is used instead of the file. */
  variable: string;
  minLength: number;
  generate: () => string;
}

const JWT_SECRET: SecretKind = {
  what: 'the generated CONVENE_JWT_SECRET',
  variable: 'CONVENE_JWT_SECRET',
  minLength: MIN_LENGTH,
  generate: () => randomBytes(32).toString('base64url'),
};

function readSecret(file: string, kind: SecretKind): string | undefined {
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
      `${file} (${kind.what}) is readable by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
    ]);
  }
  const secret = text.trim();
  if (secret.length < kind.minLength) {
    throw new ConfigValidationError([
      `${file} does not hold ${kind.what} of at least ${kind.minLength} characters; delete it to generate a new one, or set ${kind.variable}`,
    ]);
  }
  return secret;
}

/**
 * The join-token secret kept in `dataDir` (mode 0600), generated on first use so that tokens
 * survive a restart.
 */
export function loadOrCreateJwtSecret(dataDir: string): StoredJwtSecret {
  return loadOrCreateSecret(dataDir, JWT_SECRET_FILE, JWT_SECRET);
}

/**
 * A secret kept in `dataDir/name` (mode 0600), generated on first use. The file appears complete
 * or not at all (written aside, then hard-linked into place, which fails if it exists):
 * processes starting at once all end up with the winner's.
 */
function loadOrCreateSecret(dataDir: string, name: string, kind: SecretKind): StoredJwtSecret {
  const file = join(dataDir, name);
  const existing = readSecret(file, kind);
  if (existing !== undefined) return { secret: existing, file, created: false };

  // Not 0700: the folder also holds the embedded PostgreSQL's data, whose server runs as the
  // postgres user when convene runs as root. The secret is protected by its own mode, 0600.
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const secret = kind.generate();
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
    const winner = readSecret(file, kind);
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

/** The file in the data folder that holds the development admin key. */
export const ADMIN_KEY_FILE = 'admin-api-key';

const ADMIN_KEY: SecretKind = {
  what: 'the generated development admin API key',
  variable: 'CONVENE_ADMIN_API_KEY',
  minLength: 24,
  // Not of the cvn_<prefix>_ form of created keys: it is looked up as the bootstrap key.
  generate: () => `convene-dev-${randomBytes(32).toString('base64url')}`,
};

/**
 * CONVENE_ADMIN_API_KEY when set. Otherwise, in development only, a key generated in the data
 * folder (mode 0600) and reused on restart, so that a first run reaches the console without
 * configuration; in test and production, none (production refuses to start without one).
 */
export function adminApiKeyOf(env: Pick<Env, 'adminApiKey' | 'dataDir' | 'nodeEnv'>): {
  key: string | undefined;
  /** The file of the generated key; undefined when the key is from the environment or absent. */
  file: string | undefined;
} {
  if (env.adminApiKey !== undefined) return { key: env.adminApiKey, file: undefined };
  if (env.nodeEnv !== 'development') return { key: undefined, file: undefined };
  const { secret, file } = loadOrCreateSecret(env.dataDir, ADMIN_KEY_FILE, ADMIN_KEY);
  return { key: secret, file };
}
