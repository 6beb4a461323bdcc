import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  appConfig,
  authConfig,
  chatConfig,
  databaseConfig,
  mediaConfig,
  metricsConfig,
  clusterConfig,
  rateLimitConfig,
  wsConfig,
} from './configuration.js';
import { parseEnv } from './env.js';

/** Validates the whole environment once at boot, then exposes typed per-feature slices. */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: (raw: Record<string, string | undefined>) => {
        parseEnv(raw);
        return raw;
      },
      load: [
        appConfig,
        databaseConfig,
        authConfig,
        chatConfig,
        mediaConfig,
        metricsConfig,
        clusterConfig,
        rateLimitConfig,
        wsConfig,
      ],
    }),
  ],
})
export class AppConfigModule {}
