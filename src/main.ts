import type { INestApplication } from '@nestjs/common';
import { ConfigValidationError, parseEnv } from './config/env.js';
import { EmbeddedPostgres } from './database/embedded-postgres.js';
import { closeOnSignals } from './lifecycle/shutdown.js';

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
