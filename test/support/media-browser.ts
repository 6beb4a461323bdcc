import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import type * as MediaPage from './media-page.js';
import type { TestClient } from './sockets.js';

/** media-page.ts (compiled beside this file) with mediasoup-client, as one script for the page. */
export async function bundleMediaPage(): Promise<string> {
  const entry = fileURLToPath(new URL('./media-page.js', import.meta.url));
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      write: false,
      minify: false,
      lib: { entry, formats: ['iife'], name: 'mediaPage', fileName: 'media-page' },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  for (const output of outputs) {
    if ('output' in output) {
      const chunk = output.output.find((o) => o.type === 'chunk');
      if (chunk && chunk.type === 'chunk') return chunk.code;
    }
  }
  throw new Error('bundling media-page produced no script');
}

export { launchBrowser as launchChromium } from './browser.js';

type PageApi = typeof MediaPage;
type Method = {
  [K in keyof PageApi]: PageApi[K] extends (...args: never[]) => unknown ? K : never;
}[keyof PageApi];

/**
 * A browser participant: a page on a secure origin (localhost) running the bundled client,
 * whose signaling is forwarded over `client`, the participant's own Socket.IO connection.
 */
export class BrowserParticipant {
  private constructor(readonly page: Page) {}

  static async open(
    browser: Browser,
    script: string,
    client: TestClient,
  ): Promise<BrowserParticipant> {
    const page = await browser.newPage();
    await page.route('http://localhost/media-test', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>media test</title><body></body>',
      }),
    );
    await page.exposeFunction('signal', (event: string, payload: unknown) =>
      client.requestRaw(event, payload),
    );
    await page.goto('http://localhost/media-test');
    await page.addScriptTag({ content: script });
    return new BrowserParticipant(page);
  }

  /** Calls one of media-page.ts's exports inside the page. */
  call<M extends Method>(
    method: M,
    ...args: Parameters<PageApi[M]>
  ): Promise<Awaited<ReturnType<PageApi[M]>>> {
    return this.page.evaluate(
      ([name, params]) => {
        const api = (
          window as unknown as { mediaPage: Record<string, (...a: unknown[]) => unknown> }
        ).mediaPage;
        return api[name](...params);
      },
      [method, args] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<PageApi[M]>>>;
  }
}
