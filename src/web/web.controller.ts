import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/public.decorator.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { WebAssets } from './web-assets.js';

/**
 * The page: no inline script or style, media only from this origin or the browser's own streams,
 * sockets to this origin, never framed.
 */
export const WEB_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Serves the built web client: the app at `/` and `/join` (token in the URL fragment), assets under `/assets`. */
@ApiExcludeController()
@Public()
@Controller()
export class WebController {
  constructor(private readonly assets: WebAssets) {}

  @Get(['', 'join'])
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', WEB_CONTENT_SECURITY_POLICY)
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Permissions-Policy', 'camera=(self), microphone=(self), display-capture=(self)')
  page(): Promise<string> {
    return this.assets.indexHtml();
  }

  /** Content-hashed files: cached for a year. */
  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!this.assets.isAssetName(file)) throw new NotFoundException();
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.sendFile(
      file,
      { root: this.assets.assetsDir, dotfiles: 'deny', maxAge: '365d', immutable: true },
      (error?: Error) => {
        if (error && !res.headersSent)
          res.status(404).json({ error: { code: ErrorCode.NOT_FOUND, message: 'No such file' } });
      },
    );
  }
}
