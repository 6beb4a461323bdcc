import { type ApiKey, SCOPES, type Scope } from './api.js';
import {
  actionButton,
  announce,
  copyable,
  errorBox,
  field,
  formatTime,
  h,
  heading,
  onSubmit,
  row,
  table,
} from './ui.js';
import type { View, ViewContext } from './view.js';

const HEADERS = ['Name', 'Prefix', 'Scopes', 'Created', 'Last used', 'Status', 'Actions'];
const SCOPE_HINTS: Record<Scope, string> = {
  admin: 'admin: rooms, join links, live control, API keys',
  'audit:read': 'audit:read: search, export and verify the chat audit trail',
};

/** API keys: create one with scopes (the secret is shown once), list them, revoke one. */
export function keysView(context: ViewContext): View {
  const { api } = context;
  const createErrors = errorBox();
  const listErrors = errorBox();
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 100 });
  const boxes = SCOPES.map((scope) => {
    const box = h('input', { type: 'checkbox', name: 'scopes', value: scope });
    return { scope, box, el: field(SCOPE_HINTS[scope], box) };
  });
  const secret = h('div', { class: 'secret' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-key-title' },
    h('h2', { id: 'create-key-title' }, 'Create an API key'),
    field('Key name', name, 'Who or what uses it, e.g. "Compliance team".'),
    h('fieldset', {}, h('legend', {}, 'Scopes'), ...boxes.map((b) => b.el)),
    createErrors.el,
    h('button', { type: 'submit', class: 'primary' }, 'Create key'),
    secret,
  );
  onSubmit(form, createErrors, async () => {
    const scopes = boxes.filter((b) => b.box.checked).map((b) => b.scope);
    if (scopes.length === 0) throw new Error('Choose at least one scope.');
    const created = await api.createKey(name.value.trim(), scopes);
    secret.replaceChildren(
      h(
        'div',
        { class: 'notice', 'data-key-id': created.id },
        h('h3', { tabindex: '-1', id: 'secret-title' }, `Key "${created.name}" created`),
        h('p', {}, 'Copy the secret now: it is shown only this once and cannot be read again.'),
        copyable('secret key', created.key, 'secret-key'),
      ),
    );
    document.getElementById('secret-title')?.focus();
    name.value = '';
    boxes.forEach((b) => (b.box.checked = false));
    await load();
  });

  const list = h('div', {});
  const render = (keys: ApiKey[]) => {
    list.replaceChildren(
      table(
        `${keys.length} key${keys.length === 1 ? '' : 's'}`,
        HEADERS,
        keys.map((key) =>
          row(HEADERS, [
            key.name,
            h('code', {}, key.prefix),
            key.scopes.join(', '),
            formatTime(key.createdAt),
            formatTime(key.lastUsedAt),
            key.revokedAt ? `Revoked ${formatTime(key.revokedAt)}` : 'Active',
            key.revokedAt
              ? ''
              : actionButton(
                  'Revoke',
                  async () => {
                    if (
                      !confirm(`Revoke the key "${key.name}"? Requests with it fail from now on.`)
                    )
                      return;
                    await api.revokeKey(key.id);
                    announce(`Key ${key.name} revoked`);
                    await load();
                  },
                  listErrors,
                  { class: 'danger', ariaLabel: `Revoke key ${key.name}` },
                ),
          ]),
        ),
      ),
    );
  };
  const load = async () => render(await api.listKeys());

  const el = h(
    'section',
    { class: 'view' },
    heading('API keys'),
    form,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'Keys'),
      h(
        'p',
        {},
        'Revoking a key (yours included) refuses every request made with it from then on.',
      ),
      listErrors.el,
      list,
    ),
  );
  load().catch((error: unknown) => listErrors.show(error));
  return { title: 'API keys', el };
}
