import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/public.decorator.js';
import { WebAssets } from './web-assets.js';
import { WEB_CONTENT_SECURITY_POLICY } from './web.controller.js';

/**
 * The admin console at `/console`: a page of the web client's build (client/console.html) that
 * calls the admin API from the browser with the API key the person signs in with (kept in the
 * tab's sessionStorage). Same strict CSP as the meeting page; it needs no camera or microphone.
 */
@ApiExcludeController()
@Public()
@Controller()
export class ConsoleController {
  constructor(private readonly assets: WebAssets) {}

  @Get(['console', 'console/'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', WEB_CONTENT_SECURITY_POLICY)
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Permissions-Policy', 'camera=(), microphone=(), display-capture=()')
  page(): Promise<string> {
    return this.assets.consoleHtml();
  }
}
