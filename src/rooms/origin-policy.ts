import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { type AppConfig, appConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';

/**
 * Which web pages may open a conference socket: the page the app serves itself (an Origin whose
 * host is the request's Host), the origins in CONVENE_ALLOWED_ORIGINS, and clients that send no
 * Origin at all (server-side SDKs; browsers always send one on cross-origin requests). Tokens
 * travel in the handshake, not in cookies, so this keeps other sites' pages from using a join
 * link they got hold of, and from reading the polling transport's responses.
 */
@Injectable()
export class OriginPolicy {
  private readonly listed: ReadonlySet<string>;

  constructor(@Inject(appConfig.KEY) config: AppConfig) {
    this.listed = new Set(config.allowedOrigins);
  }

  allows(headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin;
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file:) and garbage
    }
    return url.host === headers.host?.toLowerCase() || this.listed.has(url.origin);
  }

  /** ORIGIN_NOT_ALLOWED for a handshake from a page of another origin. */
  check(headers: IncomingHttpHeaders): void {
    if (!this.allows(headers)) {
      throw new DomainError(
        ErrorCode.ORIGIN_NOT_ALLOWED,
        'This server does not accept connections from pages of this origin',
      );
    }
  }

  /**
   * Engine.IO middleware: CORS headers for allowed cross-origin pages only (so a page of another
   * origin cannot read polling responses), and their preflight answered.
   */
  readonly cors = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const origin = req.headers.origin;
    if (origin === undefined || !this.allows(req.headers)) {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    const requested = req.headers['access-control-request-headers'];
    if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
    res.setHeader('Access-Control-Max-Age', '600');
    res.writeHead(204);
    res.end();
  };
}
