import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';
import { WebAssets } from './web-assets.js';
import { WebController } from './web.controller.js';

/** The browser client and the admin console (built from client/ by Vite), served as static files by the app. */
@Module({
  controllers: [WebController, ConsoleController],
  providers: [WebAssets],
})
export class WebModule {}
