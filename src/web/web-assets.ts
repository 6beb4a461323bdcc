import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** Built asset names look like `index-BxY2_a9Z.js`: no directories, no dot files. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/**
 * The web client's build output (`client/dist`, produced by `npm run build`). Resolved from
 * this file's location (dist/src/web), so it does not depend on the working directory.
 */
@Injectable()
export class WebAssets {
  readonly root = resolve(import.meta.dirname, '../../../client/dist');
  readonly assetsDir = join(this.root, 'assets');
  private index?: string;
  private console?: string;

  /** The app's HTML page; SERVICE_UNAVAILABLE if the client was not built. */
  async indexHtml(): Promise<string> {
    this.index ??= await readFile(join(this.root, 'index.html'), 'utf8').catch(() => {
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'The web client is not built (run npm run build)',
      );
    });
    return this.index;
  }

  /** The admin console's HTML page (client/console.html); SERVICE_UNAVAILABLE if not built. */
  async consoleHtml(): Promise<string> {
    this.console ??= await readFile(join(this.root, 'console.html'), 'utf8').catch(() => {
      throw new DomainError(
        ErrorCode.SERVICE_UNAVAILABLE,
        'The admin console is not built (run npm run build)',
      );
    });
    return this.console;
  }

  isAssetName(name: string): boolean {
    return ASSET_NAME.test(name);
  }
}
