import type { INestApplication } from '@nestjs/common';
import { type Env, ConfigValidationError, parseEnv } from './config/env.js';
import { adminApiKeyOf } from './config/jwt-secret.js';
import { EmbeddedPostgres } from './database/embedded-postgres.js';
import { closeOnSignals } from './lifecycle/shutdown.js';

/**
 * In development without CONVENE_ADMIN_API_KEY: where the console is and the generated key that
 * signs in to it, once per start, for a person reading the terminal (not a log line).
 */
function announceFirstRun(env: Env): void {
  const { key, file } = adminApiKeyOf(env);
  if (!key || !file) return;
  const host = env.host === '0.0.0.0' || env.host === '::' ? 'localhost' : env.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${env.port}`;
  process.stdout.write(
    [
      '',
      `convene is running at ${base}`,
      `  console:       ${base}/console`,
      `  admin API key: ${key}`,
      `  (development only: generated in ${file}, reused on restart; production needs CONVENE_ADMIN_API_KEY)`,
      '',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  // Fail fast, before any module starts, with a message naming each bad variable.
  const env = parseEnv(process.env);
  const { createApp } = await import('./bootstrap.js');
  let app: INestApplication | undefined;
  try {
    app = await createApp();
    // SIGTERM drains, then closes and exits 0.
    closeOnSignals(app);
    await app.listen(env.port, env.host);
    announceFirstRun(env);
  } catch (error) {
    // Whatever started before the failure (the embedded PostgreSQL above all) must not outlive us.
    await app?.close().catch(() => undefined);
    await EmbeddedPostgres.stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
  } else {
    console.error('convene failed to start:', error);
  }
  process.exit(1);
});
