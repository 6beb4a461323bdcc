import { h } from './dom.js';
import { shownNotices } from './notice-order.js';

export interface ToastOptions {
  tone?: 'info' | 'error';
  action?: { label: string; run: () => void };
  ms?: number;
  /** For news the Announcer already said. */
  quiet?: boolean;
}

/** At most this many notices show at once; older ones collapse into "and N more". */
export const MAX_VISIBLE_TOASTS = 3;

/**
 * Short-lived notices (joins, mutes, errors), announced to screen readers. At most
 * MAX_VISIBLE_TOASTS show (shownNotices: the latest first); the others wait behind "and N more"
 * until they expire. In the room they sit in a strip of their own above the
 * videos (App places `root` there), never over a tile.
 */
export class Toasts {
  readonly root = h('div', { class: 'toasts' });
  private readonly polite = h('div', {
    class: 'toast-stack',
    role: 'status',
    'aria-live': 'polite',
  });
  private readonly urgent = h('div', { class: 'toast-stack', role: 'alert' });
  /** For notices whose news the Announcer already said. */
  private readonly quiet = h('div', { class: 'toast-stack' });
  /** Not live: the count changes with every notice, which would be noise. */
  private readonly more = h('p', { class: 'toast-more', hidden: true });
  /** The notices shown or waiting, oldest first. */
  private readonly active: { toast: HTMLElement; pinned: boolean }[] = [];

  constructor() {
    this.root.append(this.urgent, this.polite, this.quiet, this.more);
  }

  clear(): void {
    for (const stack of [this.urgent, this.polite, this.quiet]) stack.replaceChildren();
    this.active.length = 0;
    this.layout();
  }

  show(text: string, options: ToastOptions = {}): void {
    const tone = options.tone ?? 'info';
    const toast = h('div', { class: `toast toast-${tone}` }, h('span', {}, text));
    if (options.action) {
      const { label, run } = options.action;
      toast.append(
        h(
          'button',
          {
            type: 'button',
            class: 'small-button primary',
            onclick: () => {
              run();
              this.remove(toast);
            },
          },
          label,
        ),
      );
    }
    (options.quiet ? this.quiet : tone === 'error' ? this.urgent : this.polite).append(toast);
    this.active.push({ toast, pinned: tone === 'error' || options.action !== undefined });
    this.layout();
    window.setTimeout(() => this.remove(toast), options.ms ?? (options.action ? 15_000 : 6_000));
  }

  private remove(toast: HTMLElement): void {
    toast.remove();
    const index = this.active.findIndex((a) => a.toast === toast);
    if (index >= 0) this.active.splice(index, 1);
    this.layout();
  }

  /** Shows what fits (shownNotices) and counts the rest. */
  private layout(): void {
    const shown = new Set(shownNotices(this.active, MAX_VISIBLE_TOASTS).map((a) => a.toast));
    for (const { toast } of this.active) toast.hidden = !shown.has(toast);
    const waiting = this.active.length - shown.size;
    this.more.hidden = waiting === 0;
    this.more.textContent = `and ${waiting} more`;
  }
}

/**
 * Tells screen readers about new chat messages and failed sends, once each, whichever
 * conversation is open. The visible message list is not live: it re-renders with the room.
 */
export class Announcer {
  readonly root = h('div', {
    class: 'visually-hidden',
    role: 'log',
    'aria-live': 'polite',
    'aria-relevant': 'additions',
  });

  say(text: string): void {
    this.root.append(h('p', {}, text));
    while (this.root.childElementCount > 20) this.root.firstElementChild?.remove();
  }
}

/** A modal yes/no question (native <dialog>: focus trapping and Escape come with it). */
export function confirmDialog(
  question: string,
  detail: string,
  confirmLabel: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': 'dialog-title', 'aria-describedby': 'dialog-detail' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, question),
        h('p', { id: 'dialog-detail' }, detail),
        h(
          'div',
          { class: 'dialog-actions' },
          h(
            'button',
            { type: 'submit', value: 'cancel', class: 'small-button', autofocus: true },
            'Cancel',
          ),
          h(
            'button',
            { type: 'submit', value: 'confirm', class: 'small-button danger' },
            confirmLabel,
          ),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A full-page message: lobby waiting, meeting ended, errors. */
export function messageScreen(options: {
  title: string;
  text: string;
  busy?: boolean;
  tone?: 'info' | 'error';
  actions?: { label: string; run: () => void; primary?: boolean }[];
}): HTMLElement {
  return h(
    'main',
    { class: 'message-screen', 'aria-labelledby': 'screen-title' },
    h(
      'section',
      { class: `message-card${options.tone === 'error' ? ' is-error' : ''}` },
      h('p', { class: 'brand' }, 'convene'),
      options.busy ? h('span', { class: 'spinner spinner-large', 'aria-hidden': 'true' }) : null,
      h('h1', { id: 'screen-title', tabindex: '-1' }, options.title),
      h('p', { role: options.tone === 'error' ? 'alert' : 'status' }, options.text),
      options.actions?.length
        ? h(
            'div',
            { class: 'dialog-actions' },
            ...options.actions.map((a) =>
              h(
                'button',
                {
                  type: 'button',
                  class: a.primary ? 'primary-button' : 'small-button',
                  onclick: a.run,
                },
                a.label,
              ),
            ),
          )
        : null,
    ),
  );
}
