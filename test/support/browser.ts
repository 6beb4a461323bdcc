import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (CI installs it); never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  // Remote audio plays without a click in tests (a person's click on Join allows it anyway).
  '--autoplay-policy=no-user-gesture-required',
];

/** Screenshots for people to look at (gitignored). */
export const ARTIFACTS_DIR = resolve(import.meta.dirname, '../../../test-artifacts');

/**
 * `granted`: every page may use the (fake) camera and microphone. `per-context`: without
 * --use-fake-ui-for-media-stream, which grants getUserMedia whatever the context's permissions
 * say; then a context not granted camera/microphone gets NotAllowedError, as after "Block".
 */
export function launchBrowser(
  media: 'granted' | 'per-context' = 'granted',
  options: { cameras?: number } = {},
): Promise<Browser> {
  const args = media === 'granted' ? [...BASE_ARGS, '--use-fake-ui-for-media-stream'] : BASE_ARGS;
  // Chromium's fake devices: one camera unless told how many (fake_device_0, fake_device_1, ...).
  const withCameras = options.cameras
    ? args.map((a) =>
        a === '--use-fake-device-for-media-stream' ? `${a}=device-count=${options.cameras}` : a,
      )
    : args;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: withCameras, headless: true });
}

export interface LoggedEvent {
  event: string;
  payload: unknown;
}

export interface InboundStats {
  kind: string;
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
}

/** One transport of the page, and the candidate types of the pair ICE selected. */
export interface TransportInfo {
  direction: 'send' | 'recv';
  id: string;
  localCandidateType?: string;
  remoteCandidateType?: string;
}

export interface PageMedia {
  transports: TransportInfo[];
  producers: { audio?: string; video?: string };
}

/** What the page's `#debug=1` hook exposes (see client/src/app.ts). */
interface DebugWindow {
  conveneDebug?: {
    events(): LoggedEvent[];
    inboundStats(): Promise<InboundStats[]>;
    media(): Promise<PageMedia>;
    phase(): string;
  };
}

/** One person in their own browser context (own storage), driving the real web client. */
export class BrowserUser {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly consoleErrors: string[],
  ) {}

  /**
   * Opens the join link (`/join#token=...&debug=1`, plus `hash`, e.g. `relay=1`) in a fresh
   * context; `init` scripts run in the page before its own, in order (e.g. to make a device fail).
   */
  static async open(
    browser: Browser,
    baseUrl: string,
    name: string,
    token: string,
    viewport = { width: 1280, height: 760 },
    options: { hash?: string; init?: (() => void)[] } = {},
  ): Promise<BrowserUser> {
    const context = await browser.newContext({ viewport, baseURL: baseUrl });
    context.setDefaultTimeout(15_000);
    for (const script of options.init ?? []) await context.addInitScript(script);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    const extra = options.hash ? `&${options.hash}` : '';
    await page.goto(`/join#token=${encodeURIComponent(token)}&debug=1${extra}`);
    return new BrowserUser(name, context, page, errors);
  }

  /** Clicks Join on the pre-join screen; resolves once the room (or the lobby) is shown. */
  async join(expect: 'room' | 'lobby' = 'room'): Promise<void> {
    await this.page.getByRole('button', { name: 'Join meeting' }).click();
    if (expect === 'room') await this.page.getByRole('button', { name: 'Leave' }).waitFor();
    else await this.page.getByRole('heading', { name: 'Waiting to be admitted' }).waitFor();
  }

  /** Every server event the page received so far. */
  events(): Promise<LoggedEvent[]> {
    return this.page.evaluate(() => (window as DebugWindow).conveneDebug?.events() ?? []);
  }

  /** The client's phase: prejoin, connecting, lobby, room or ended. */
  phase(): Promise<string | undefined> {
    return this.page.evaluate(() => (window as DebugWindow).conveneDebug?.phase());
  }

  /** The page's transports (ids, selected candidate types) and producer ids. */
  media(): Promise<PageMedia> {
    return this.page.evaluate(
      () =>
        (window as DebugWindow).conveneDebug?.media() ??
        Promise.resolve({ transports: [], producers: {} }),
    );
  }

  inboundStats(): Promise<InboundStats[]> {
    return this.page.evaluate(
      () => (window as DebugWindow).conveneDebug?.inboundStats() ?? Promise.resolve([]),
    );
  }

  /** The video of someone's tile: its size and playback position. */
  videoOf(
    participantId: string,
  ): Promise<{ width: number; height: number; time: number; paused: boolean } | null> {
    return this.page.evaluate((id) => {
      const video = document.querySelector<HTMLVideoElement>(
        `figure[data-participant-id="${id}"] video`,
      );
      if (!video || video.hidden) return null;
      return {
        width: video.videoWidth,
        height: video.videoHeight,
        time: video.currentTime,
        paused: video.paused,
      };
    }, participantId);
  }

  /** Waits until someone's video has a size and its time advances; returns what was seen. */
  async waitForPlayingVideo(
    participantId: string,
    timeoutMs = 20_000,
  ): Promise<{ width: number; height: number; advanced: number }> {
    const deadline = Date.now() + timeoutMs;
    let last: Awaited<ReturnType<BrowserUser['videoOf']>> = null;
    while (Date.now() < deadline) {
      const first = await this.videoOf(participantId);
      if (first && first.width > 0 && !first.paused) {
        await this.page.waitForTimeout(600);
        const second = await this.videoOf(participantId);
        if (second && second.time > first.time)
          return { width: second.width, height: second.height, advanced: second.time - first.time };
      }
      last = first;
      await this.page.waitForTimeout(250);
    }
    throw new Error(
      `${this.name}: video of ${participantId} never played (last: ${JSON.stringify(last)})`,
    );
  }

  /** Text of every message shown in the active conversation. */
  messageTexts(): Promise<string[]> {
    return this.page.locator('.message-log .message-text').allTextContents();
  }

  async openChat(): Promise<void> {
    const chat = this.page.getByRole('button', { name: /^Chat/ });
    if ((await chat.getAttribute('aria-expanded')) !== 'true') await chat.click();
    await this.page.getByRole('heading', { name: 'Chat' }).waitFor();
  }

  async openPeople(): Promise<void> {
    const people = this.page.getByRole('button', { name: 'People', exact: true });
    if ((await people.getAttribute('aria-expanded')) !== 'true') await people.click();
    await this.page.getByRole('heading', { name: 'People' }).waitFor();
  }

  /** Types into the chat composer and presses Enter; waits until the message is stored (no longer pending). */
  async send(text: string): Promise<void> {
    const input = this.page.locator('#chat-input');
    await input.fill(text);
    await input.press('Enter');
    await this.page
      .locator('.message.is-mine:not(.is-pending)')
      .getByText(text, { exact: true })
      .waitFor();
  }

  /** The focused element's role and accessible name, as assistive technology gets them. */
  async focused(): Promise<{ role: string; name: string }> {
    let snapshot: string | undefined;
    // Focus can move between the two reads (a re-render replacing the focused element): read again.
    for (let attempt = 0; snapshot === undefined; attempt++) {
      const onBody = await this.page.evaluate(
        () => document.activeElement === null || document.activeElement === document.body,
      );
      if (onBody) return { role: 'nothing (page body)', name: '' };
      try {
        snapshot = await this.page.locator(':focus').ariaSnapshot({ timeout: 5000 });
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
    const first = /^- ([\w-]+)(?: "((?:[^"\\]|\\.)*)")?/.exec(snapshot.trim());
    if (!first?.[1]) throw new Error(`${this.name}: cannot read the focused element: ${snapshot}`);
    return { role: first[1], name: (first[2] ?? '').replace(/\\(.)/g, '$1') };
  }

  /** Presses `key` until the focused element has this role and name; fails after `max` presses. */
  async pressUntilFocused(
    key: 'Tab' | 'Shift+Tab',
    role: string,
    name: string | RegExp,
    max = 15,
  ): Promise<void> {
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      await this.page.keyboard.press(key);
      const now = await this.focused();
      seen.push(`${now.role} "${now.name}"`);
      const nameMatches = typeof name === 'string' ? now.name === name : name.test(now.name);
      if (now.role === role && nameMatches) return;
    }
    throw new Error(
      `${this.name}: ${key} never reached ${role} "${name}"; went ${seen.join(' -> ')}`,
    );
  }

  /** Starts counting focus moves; each one makes a screen reader speak. Read with focusMoves(). */
  async recordFocusMoves(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { focusMoves?: number };
      if (w.focusMoves === undefined)
        document.addEventListener('focusin', () => (w.focusMoves = (w.focusMoves ?? 0) + 1));
      w.focusMoves = 0;
    });
  }

  focusMoves(): Promise<number> {
    return this.page.evaluate(() => (window as unknown as { focusMoves?: number }).focusMoves ?? 0);
  }

  /**
   * Starts recording what is added to live regions (aria-live, or the roles alert, status and
   * log), i.e. what a screen reader would announce. Read it with announcements().
   */
  async recordAnnouncements(): Promise<void> {
    await this.page.evaluate(() => {
      const w = window as unknown as { announced?: string[] };
      if (w.announced) {
        w.announced.length = 0;
        return;
      }
      const announced: string[] = [];
      w.announced = announced;
      const politeness = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const live = e.getAttribute('aria-live');
          if (live) return live;
          const role = e.getAttribute('role');
          if (role === 'alert') return 'assertive';
          if (role === 'status' || role === 'log') return 'polite';
        }
        return 'off';
      };
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes) {
            const el = node instanceof Element ? node : node.parentElement;
            const text = node.textContent?.trim();
            if (text && politeness(el) !== 'off') announced.push(text);
          }
      }).observe(document.body, { childList: true, subtree: true });
    });
  }

  announcements(): Promise<string[]> {
    return this.page.evaluate(
      () => (window as unknown as { announced?: string[] }).announced?.slice() ?? [],
    );
  }

  async screenshot(file: string): Promise<string> {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const path = resolve(ARTIFACTS_DIR, file);
    await this.page.screenshot({ path });
    return path;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

export { eventually } from './eventually.js';
