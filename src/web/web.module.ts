import { Module } from '@nestjs/common';
import { WebAssets } from './web-assets.js';
import { WebController } from './web.controller.js';

/** The browser client (built from client/ by Vite), served as static files by the app. */
@Module({
  controllers: [WebController],
  providers: [WebAssets],
})
export class WebModule {}
