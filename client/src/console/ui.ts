import { h } from '../ui/dom.js';
import { describeError } from './api.js';

export { h };

let ids = 0;
/** A unique element id for label/description pairs. */
export const uid = (prefix: string): string => `${prefix}-${(ids += 1)}`;

/** A labelled form control (the label's `for` names it), with an optional hint read with it. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLDivElement {
  control.id ||= uid('f');
  const hintEl = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
  return h(
    'div',
    { class: isCheck ? 'field field-check' : 'field' },
    isCheck ? control : null,
    h('label', { for: control.id }, label),
    isCheck ? null : control,
    hintEl,
  );
}

export function select(name: string, options: [value: string, label: string][]): HTMLSelectElement {
  return h('select', { name }, ...options.map(([value, label]) => h('option', { value }, label)));
}

/** The page's polite live region: results and confirmations a screen reader should read. */
export function announce(text: string): void {
  const region = document.getElementById('console-status');
  if (!region) return;
  region.textContent = '';
  // A fresh text node after a tick is announced even when the text repeats.
  setTimeout(() => (region.textContent = text), 50);
}

/** An alert box for a view's errors: empty until `show`, cleared by `clear`. */
export function errorBox(): { el: HTMLDivElement; show(error: unknown): void; clear(): void } {
  const el = h('div', { class: 'error-box', role: 'alert' });
  return {
    el,
    show: (error) => el.replaceChildren(h('p', {}, describeError(error))),
    clear: () => el.replaceChildren(),
  };
}

/** Copies text: the Clipboard API where allowed, else selects it in `fallback` for Ctrl+C. */
export async function copyText(text: string, fallback?: HTMLInputElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    fallback?.focus();
    fallback?.select();
    return false;
  }
}

/** A read-only value with a Copy button (join links, secrets, the chain head). */
export function copyable(label: string, value: string, extraClass = ''): HTMLDivElement {
  const input = h('input', {
    type: 'text',
    readonly: true,
    value,
    class: `copy-value ${extraClass}`.trim(),
    spellcheck: 'false',
  });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Copy');
  button.setAttribute('aria-label', `Copy ${label}`);
  button.addEventListener('click', () => {
    void copyText(value, input).then((copied) =>
      announce(copied ? `${label} copied` : `Press Ctrl+C to copy the selected ${label}`),
    );
  });
  return h('div', { class: 'copyable' }, field(label, input), button);
}

/** A button that disables itself while its action runs and reports failures in `errors`. */
export function actionButton(
  label: string,
  action: () => Promise<void>,
  errors: { show(error: unknown): void; clear(): void },
  options: { class?: string; ariaLabel?: string } = {},
): HTMLButtonElement {
  const button = h('button', { type: 'button', class: options.class ?? 'secondary' }, label);
  if (options.ariaLabel) button.setAttribute('aria-label', options.ariaLabel);
  button.addEventListener('click', () => {
    button.disabled = true;
    errors.clear();
    action()
      .catch((error: unknown) => errors.show(error))
      .finally(() => (button.disabled = false));
  });
  return button;
}

/** Runs a form's submit handler with the button disabled, errors shown in `errors`. */
export function onSubmit(
  form: HTMLFormElement,
  errors: { show(error: unknown): void; clear(): void },
  handler: () => Promise<void>,
): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll<HTMLButtonElement>('button[type="submit"]');
    buttons.forEach((b) => (b.disabled = true));
    errors.clear();
    handler()
      .catch((error: unknown) => errors.show(error))
      .finally(() => buttons.forEach((b) => (b.disabled = false)));
  });
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A table with a caption and column headers (scope="col"). */
export function table(caption: string, headers: string[], rows: HTMLTableRowElement[]) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((text) => h('th', { scope: 'col' }, text)))),
      h('tbody', {}, ...rows),
    ),
  );
}

/** A row; each cell's column name goes into data-label for the narrow (stacked) layout. */
export function row(headers: string[], cells: (Node | string)[]): HTMLTableRowElement {
  return h('tr', {}, ...cells.map((cell, i) => h('td', { 'data-label': headers[i] ?? '' }, cell)));
}

/** A view's title: focused when the view opens (tabindex -1), so a screen reader reads it. */
export function heading(text: string): HTMLHeadingElement {
  return h('h1', { tabindex: '-1', id: 'view-title' }, text);
}
