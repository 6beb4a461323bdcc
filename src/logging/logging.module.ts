import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { appConfig } from '../config/configuration.js';
import { assignRequestId } from './request-id.js';

/** Structured JSON logs (pino) with a request id on every line; pretty in a dev terminal. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [appConfig.KEY],
      useFactory: (config: ConfigType<typeof appConfig>) => {
        const pretty = config.nodeEnv === 'development' && process.stdout.isTTY;
        const options: PinoHttpOptions = {
          level: config.logLevel,
          transport: pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
          genReqId: assignRequestId,
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
        };
        // JSON lines are written synchronously: a process ended by a signal (Nest re-raises it
        // after the shutdown hooks) must not lose its last lines, the shutdown's own among them.
        return {
          pinoHttp: pretty ? options : [options, pino.destination({ dest: 1, sync: true })],
        };
      },
    }),
  ],
})
export class LoggingModule {}
