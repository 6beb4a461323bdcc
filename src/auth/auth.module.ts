import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { authConfig } from '../config/configuration.js';
import { RateLimitStore } from '../rate-limit/rate-limit.store.js';
import { ThrottlerStorageAdapter } from '../rate-limit/throttler-storage.adapter.js';
import { AdminThrottlerGuard } from './admin-throttler.guard.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysService } from './api-keys.service.js';
import { JoinTokensService } from './join-tokens.service.js';
import { ApiKeyFailureLimiter, TokenFailureLimiter } from './failure-limiters.js';

/**
 * API keys and join tokens. The guards run on every HTTP route: the key first (unknown keys are
 * limited per address), then the request budget of that key, so that a guesser behind the same
 * NAT cannot spend the budget of a valid key.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([ApiKeyEntity]),
    ThrottlerModule.forRootAsync({
      inject: [authConfig.KEY, RateLimitStore],
      useFactory: (config: ConfigType<typeof authConfig>, store: RateLimitStore) => ({
        throttlers: [{ name: 'admin', ttl: 60_000, limit: config.adminRateLimitPerMinute }],
        storage: new ThrottlerStorageAdapter(store),
      }),
    }),
  ],
  controllers: [ApiKeysController],
  providers: [
    ApiKeysService,
    JoinTokensService,
    TokenFailureLimiter,
    ApiKeyFailureLimiter,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: AdminThrottlerGuard },
  ],
  exports: [JoinTokensService, TokenFailureLimiter],
})
export class AuthModule {}
