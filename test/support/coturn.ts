import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.js';

/** coturn's server (Debian package `coturn`; CI installs it). */
export const TURNSERVER_PATH = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';
export const hasTurnserver = (): boolean => existsSync(TURNSERVER_PATH);

export interface CoturnOptions {
  /** The shared secret of `use-auth-secret` (TURN REST API credentials). */
  secret: string;
  realm: string;
  /** UDP/TCP listening port on 127.0.0.1. */
  port: number;
  /** The relay ports it allocates from. */
  minPort: number;
  maxPort: number;
}

/**
 * A real coturn on loopback for one test file, with time-limited credentials checked against
 * `secret`. Loopback peers are allowed (mediasoup listens on 127.0.0.1 in tests), which coturn
 * warns is for tests only. Its verbose log is kept to see allocations and refusals.
 */
export class Coturn {
  readonly url: string;
  private readonly lines: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    options: CoturnOptions,
  ) {
    this.url = `turn:127.0.0.1:${options.port}?transport=udp`;
    let partial = '';
    const collect = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  static async start(options: CoturnOptions): Promise<Coturn> {
    const dir = await mkdtemp(join(tmpdir(), 'convene-coturn-'));
    const child = spawn(
      TURNSERVER_PATH,
      [
        '-n', // no configuration file: only these options
        '--listening-ip=127.0.0.1',
        `--listening-port=${options.port}`,
        '--relay-ip=127.0.0.1',
        `--min-port=${options.minPort}`,
        `--max-port=${options.maxPort}`,
        '--use-auth-secret',
        `--static-auth-secret=${options.secret}`,
        `--realm=${options.realm}`,
        '--allow-loopback-peers',
        '--no-cli',
        '--no-tls',
        '--no-dtls',
        '--fingerprint',
        '--no-software-attribute',
        '--log-file=stdout',
        '--verbose',
        `--pidfile=${join(dir, 'turnserver.pid')}`,
        `--userdb=${join(dir, 'turndb')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const coturn = new Coturn(child, dir, options);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) =>
        reject(new Error(`turnserver exited (${code}):\n${coturn.log().slice(-20).join('\n')}`)),
      ),
    );
    await Promise.race([
      eventually(
        () => (coturn.logged(/UDP listener opened on\s*:\s*127\.0\.0\.1/) ? true : undefined),
        'turnserver listening',
        10_000,
      ),
      exited,
    ]);
    // Exiting later (stop()) is not a failure of the start.
    exited.catch(() => undefined);
    return coturn;
  }

  log(): string[] {
    return [...this.lines];
  }

  /** The log lines matching `pattern`. */
  logged(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
