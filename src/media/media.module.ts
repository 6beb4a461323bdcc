import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConferenceModule } from '../conference/conference.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { HostMute } from './host-mute.js';
import { HostMuteGateway } from './host-mute.gateway.js';
import { MediaCluster } from './media-cluster.js';
import { LocalMedia } from './local-media.js';
import { MediaConsumers } from './media-consumers.js';
import { MediaController } from './media.controller.js';
import { MediaGateway } from './media.gateway.js';
import { MediaHealthIndicator } from './media.health.js';
import { IceServers } from './ice-servers.js';
import { MediaNotifier } from './media-notifier.js';
import { MediaService } from './media.service.js';
import { NodePipes } from './node-pipes.js';
import { ProducePolicy } from './produce-rules.js';
import { producerStoreProvider } from './producer-registry.js';
import { ScreenShare } from './screen-share.js';
import { ScreenShareGateway } from './screen-share.gateway.js';
import { RoomRouters } from './room-routers.js';
import { WorkerPool } from './worker-pool.js';

/** The mediasoup SFU: worker pool, a router per room, participants' transports/producers/consumers. */
@Module({
  imports: [ConferenceModule, RoomsModule, TerminusModule],
  controllers: [MediaController],
  providers: [
    WorkerPool,
    RoomRouters,
    MediaNotifier,
    producerStoreProvider,
    MediaCluster,
    NodePipes,
    LocalMedia,
    ProducePolicy,
    MediaService,
    MediaConsumers,
    ScreenShare,
    ScreenShareGateway,
    IceServers,
    MediaGateway,
    HostMute,
    HostMuteGateway,
    MediaHealthIndicator,
  ],
  exports: [MediaHealthIndicator],
})
export class MediaModule {}
