import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module.js';
import { ConferenceModule } from '../conference/conference.module.js';
import { ConferenceGateway } from './conference.gateway.js';
import { ConnectionAuthenticator } from './connection-authenticator.js';
import { ConnectionCaps } from './connection-caps.js';
import { ConnectionDrain } from './connection-drain.js';
import { ConnectionTurns } from './connection-turns.js';
import { Hands } from './hands.js';
import { HandsGateway } from './hands.gateway.js';
import { HostControls } from './host-controls.js';
import { ParticipantControlsStore } from './participant-controls.store.js';
import { OriginPolicy } from './origin-policy.js';
import { ParticipantEntity } from './participant.entity.js';
import { InMemoryPresenceStore } from './presence/in-memory-presence.store.js';
import { PresenceStore } from './presence/presence.store.js';
import { RedisPresenceStore } from './presence/redis-presence.store.js';
import { NodeSessions } from './node-sessions.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RoomEntity } from './room.entity.js';
import { RoomEvents } from './room-events.js';
import { RoomMembership } from './room-membership.js';
import { RoomSettingsService } from './room-settings.js';
import { RoomsController } from './rooms.controller.js';
import { RoomsService } from './rooms.service.js';
import { PresenceAnnouncer } from './presence-announcer.js';
import { SessionsService } from './sessions.service.js';

/**
 * Rooms, participants, presence and the lobby (in Redis when several nodes share one, else in
 * memory). Exports only what other features may ask.
 */
@Module({
  imports: [
    AuthModule,
    ConferenceModule,
    TypeOrmModule.forFeature([RoomEntity, ParticipantEntity]),
  ],
  controllers: [RoomsController],
  providers: [
    RoomsService,
    SessionsService,
    ConnectionAuthenticator,
    ConnectionCaps,
    ConnectionDrain,
    ConnectionTurns,
    OriginPolicy,
    ConferenceGateway,
    RoomEvents,
    RoomMembership,
    RoomSettingsService,
    NodeSessions,
    ParticipantControlsStore,
    Hands,
    HandsGateway,
    HostControls,
    PresenceAnnouncer,
    {
      provide: PresenceStore,
      inject: [RedisConnection],
      useFactory: async (redis: RedisConnection): Promise<PresenceStore> => {
        await redis.connect();
        return redis.client
          ? new RedisPresenceStore(redis.client, redis.keyPrefix)
          : new InMemoryPresenceStore();
      },
    },
  ],
  exports: [RoomMembership, RoomEvents, HostControls],
})
export class RoomsModule {}
