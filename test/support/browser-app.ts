import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { Admin } from './admin.js';
import { startApp, type TestApp } from './app.js';
import { BrowserUser, launchBrowser } from './browser.js';

export interface BrowserApp {
  readonly app: TestApp;
  readonly admin: Admin;
  readonly browser: Browser;
  /** Opens a person's page at their join link; it is closed after the block. */
  open(name: string, token: string): Promise<BrowserUser>;
  /** Runs `close` after the block's tests, newest first, before the browser and the app stop. */
  closeAfter(close: () => Promise<unknown> | void): void;
}

/**
 * For a describe block of browser tests: the app (started with `env`), its admin API and a
 * Chromium, ready before the block's tests and closed after them with everything opened
 * through it.
 */
export function useBrowserApp(env: Record<string, string>): BrowserApp {
  let app: TestApp | undefined;
  let admin: Admin | undefined;
  let browser: Browser | undefined;
  const closing: (() => Promise<unknown> | void)[] = [];
  before(async () => {
    app = await startApp(env);
    admin = new Admin(app.url);
    browser = await launchBrowser();
  });
  after(async () => {
    for (const close of closing.reverse()) await close();
    await browser?.close();
    await app?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useBrowserApp: used outside the block’s tests');
    return value;
  };
  return {
    get app() {
      return started(app);
    },
    get admin() {
      return started(admin);
    },
    get browser() {
      return started(browser);
    },
    async open(name, token) {
      const user = await BrowserUser.open(started(browser), started(app).url, name, token);
      closing.push(() => user.close());
      return user;
    },
    closeAfter(close) {
      closing.push(close);
    },
  };
}
