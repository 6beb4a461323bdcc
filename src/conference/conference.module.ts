import { Module } from '@nestjs/common';
import { ConferenceServer } from './conference-server.js';

/**
 * The socket layer of the `/conference` namespace: its socket types, the joined/host guards and
 * ConferenceServer. Depends on no feature; rooms, chat and media build on it.
 */
@Module({
  providers: [ConferenceServer],
  exports: [ConferenceServer],
})
export class ConferenceModule {}
