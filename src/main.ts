import { ConfigValidationError, parseEnv } from './config/env.js';

async function main(): Promise<void> {
  // Fail fast, before any module starts, with a message naming each bad variable.
  const env = parseEnv(process.env);
  const { createApp } = await import('./bootstrap.js');
  const app = await createApp();
  await app.listen(env.port, env.host);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
  } else {
    console.error('convene failed to start:', error);
  }
  process.exit(1);
});
