import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import {
  appConfig,
  authConfig,
  chatConfig,
  databaseConfig,
  iceConfig,
  lifecycleConfig,
  mediaConfig,
  metricsConfig,
  clusterConfig,
  presenceConfig,
  rateLimitConfig,
  webhooksConfig,
  wsConfig,
} from './configuration.js';
import { envValidationSchema } from './env.js';

/** Validates the whole environment once at boot, then exposes typed per-feature slices. */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validationSchema: envValidationSchema,
      load: [
        appConfig,
        databaseConfig,
        authConfig,
        chatConfig,
        mediaConfig,
        iceConfig,
        metricsConfig,
        clusterConfig,
        rateLimitConfig,
        wsConfig,
        webhooksConfig,
        lifecycleConfig,
        presenceConfig,
      ],
    }),
  ],
})
export class AppConfigModule {}
