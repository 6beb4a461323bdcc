import { Global, Module } from '@nestjs/common';
import { Drain } from './drain.js';

/** The process's own life: the drain on SIGTERM (see shutdown.ts), for every feature to heed. */
@Global()
@Module({ providers: [Drain], exports: [Drain] })
export class LifecycleModule {}
