import { AdminApi, ApiError, keyStore, type Scope } from './api.js';
import { auditView } from './audit-view.js';
import { keysView } from './keys-view.js';
import { roomView } from './room-view.js';
import { roomsView } from './rooms-view.js';
import { errorBox, field, h, heading, onSubmit } from './ui.js';
import type { View, ViewContext } from './view.js';

const root = document.getElementById('console') as HTMLElement;
let current: View | undefined;
let session: ViewContext | undefined;

function signInScreen(message?: string): void {
  current?.dispose?.();
  current = undefined;
  session = undefined;
  const errors = errorBox();
  const key = h('input', {
    type: 'password',
    name: 'apiKey',
    autocomplete: 'off',
    required: true,
    spellcheck: 'false',
  });
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'view-title' },
    heading('Sign in to the convene console'),
    h(
      'p',
      {},
      'Paste an API key. It is kept only in this browser tab (session storage) and is gone when you close the tab.',
    ),
    field(
      'API key',
      key,
      'In development, convene prints a bootstrap admin key on start (also in .convene/admin-api-key).',
    ),
    errors.el,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  onSubmit(form, errors, async () => {
    await start(key.value.trim());
  });
  root.replaceChildren(h('main', { class: 'signin-main' }, form), statusRegion());
  if (message) errors.show(new Error(message));
  key.focus();
}

function statusRegion(): HTMLElement {
  return h('p', { id: 'console-status', class: 'visually-hidden', role: 'status' });
}

async function start(key: string): Promise<void> {
  if (!key) throw new Error('Enter an API key.');
  const api = new AdminApi(key);
  let scopes: Set<Scope>;
  try {
    scopes = await api.scopes();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) keyStore.clear();
    throw error;
  }
  if (scopes.size === 0) throw new Error('This API key has no scope the console can use.');
  keyStore.set(key);
  session = { api, scopes, navigate: (hash) => (location.hash = hash) };
  renderShell();
  route();
}

const NAV: { hash: string; label: string; scope: Scope }[] = [
  { hash: '#rooms', label: 'Rooms', scope: 'admin' },
  { hash: '#audit', label: 'Audit', scope: 'audit:read' },
  { hash: '#keys', label: 'API keys', scope: 'admin' },
];

function renderShell(): void {
  if (!session) return;
  const { scopes } = session;
  const signOut = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  signOut.addEventListener('click', () => {
    keyStore.clear();
    history.replaceState(null, '', location.pathname);
    signInScreen();
  });
  const links = NAV.filter((item) => scopes.has(item.scope)).map((item) =>
    h('li', {}, h('a', { href: item.hash, 'data-nav': item.hash }, item.label)),
  );
  // The link of the page already shown reloads it (no hashchange fires).
  for (const item of links)
    item.firstElementChild?.addEventListener('click', (event) => {
      if ((event.currentTarget as HTMLAnchorElement).getAttribute('href') !== location.hash) return;
      event.preventDefault();
      route();
    });
  root.replaceChildren(
    h('a', { href: '#view-title', class: 'skip-link' }, 'Skip to content'),
    h(
      'header',
      { class: 'console-header' },
      h('p', { class: 'brand' }, 'convene console'),
      h('nav', { 'aria-label': 'Console' }, h('ul', {}, ...links)),
      h('p', { class: 'scopes' }, `Key scopes: ${[...scopes].join(', ')}`),
      signOut,
    ),
    h('main', { id: 'view' }),
    statusRegion(),
  );
}

function defaultHash(scopes: Set<Scope>): string {
  return scopes.has('admin') ? '#rooms' : '#audit';
}

function notAllowed(scope: Scope): View {
  const el = h(
    'section',
    { class: 'card' },
    heading('Not available with this key'),
    h('p', {}, `This page needs an API key with the "${scope}" scope.`),
  );
  return { title: 'Not available', el };
}

function viewFor(hash: string, context: ViewContext): View {
  const [name, arg] = hash.replace(/^#/, '').split('/');
  const need = (scope: Scope, make: () => View) =>
    context.scopes.has(scope) ? make() : notAllowed(scope);
  switch (name) {
    case 'rooms':
      return need('admin', () => roomsView(context));
    case 'room':
      return need('admin', () => roomView(context, decodeURIComponent(arg ?? '')));
    case 'audit':
      return need('audit:read', () => auditView(context, arg ? decodeURIComponent(arg) : ''));
    case 'keys':
      return need('admin', () => keysView(context));
    default:
      return need('admin', () => roomsView(context));
  }
}

function route(): void {
  if (!session) return;
  if (!location.hash) {
    history.replaceState(null, '', defaultHash(session.scopes));
  }
  const view = viewFor(location.hash, session);
  current?.dispose?.();
  current = view;
  document.title = `${view.title} · convene console`;
  const main = document.getElementById('view');
  main?.replaceChildren(view.el);
  const section = location.hash.split('/')[0];
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === section || (section === '#room' && link.dataset.nav === '#rooms'))
      link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // Focus moves to the new view's heading: a screen reader reads where the person is.
  document.getElementById('view-title')?.focus();
}

window.addEventListener('hashchange', route);

const saved = keyStore.get();
if (saved) {
  start(saved).catch((error: unknown) =>
    signInScreen(error instanceof Error ? error.message : String(error)),
  );
} else signInScreen();
