import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectAccessible } from './accessibility.js';
import { ARTIFACTS_DIR } from './browser.js';

export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 900 };

let axe: Promise<string> | undefined;
const axeSource = (): Promise<string> =>
  (axe ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/** Someone using the admin console (/console) in their own browser context. */
export class ConsoleUser {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly pageErrors: string[],
  ) {}

  static async open(
    browser: Browser,
    baseUrl: string,
    name: string,
    viewport = DESKTOP,
  ): Promise<ConsoleUser> {
    const context = await browser.newContext({ viewport, baseURL: baseUrl, acceptDownloads: true });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    // Closing a room and revoking a key ask first (window.confirm): this person says yes.
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // Refused API calls show as failed resources; the page shows them in words.
      if (message.type() === 'error' && !/status of (4\d\d)/.test(message.text()))
        errors.push(message.text());
    });
    await page.goto('/console');
    return new ConsoleUser(name, context, page, errors);
  }

  /** Types the key into the sign-in form; resolves once the first view's heading has focus. */
  async signIn(key: string): Promise<void> {
    await this.page.getByLabel('API key', { exact: true }).fill(key);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  /** Opens a console page from its navigation; waits for its heading. */
  async go(link: 'Rooms' | 'Audit' | 'API keys'): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: link })
      .click();
    await this.page.getByRole('heading', { level: 1, name: link }).waitFor();
  }

  /** The links the navigation offers. */
  navLinks(): Promise<string[]> {
    return this.page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link')
      .allTextContents();
  }

  /**
   * axe-core finds nothing serious at this width and at phone width; screenshots of both. axe is
   * evaluated through the DevTools protocol first: the console's CSP (script-src 'self') refuses
   * the inline script tag expectAccessible would add otherwise.
   */
  async checkView(label: string): Promise<void> {
    if (!(await this.page.evaluate(() => 'axe' in window)))
      await this.page.evaluate(await axeSource());
    await expectAccessible(this.page, `console ${label}`);
    await this.screenshot(`console-${label}.png`);
    const size = this.page.viewportSize();
    await this.page.setViewportSize(PHONE);
    await expectAccessible(this.page, `console ${label} (phone)`);
    await this.screenshot(`console-${label}-phone.png`);
    const overflow = await this.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    if (overflow > 0) throw new Error(`console ${label}: ${overflow}px wider than a phone`);
    if (size) await this.page.setViewportSize(size);
  }

  async screenshot(file: string): Promise<string> {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const path = resolve(ARTIFACTS_DIR, file);
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
