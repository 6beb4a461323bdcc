import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { appConfig } from '../config/configuration.js';
import { assignRequestId } from './request-id.js';

/** Structured JSON logs (pino) with a request id on every line; pretty in a dev terminal. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => ({
        pinoHttp: {
          level: config.logLevel,
          transport:
            config.nodeEnv === 'development' && process.stdout.isTTY
              ? { target: 'pino-pretty', options: { singleLine: true } }
              : undefined,
          genReqId: assignRequestId,
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
