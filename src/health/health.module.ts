import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { MediaModule } from '../media/media.module.js';
import { DrainHealthIndicator } from './drain.health.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), MediaModule],
  controllers: [HealthController],
  providers: [DrainHealthIndicator],
})
export class HealthModule {}
