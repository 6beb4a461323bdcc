import { joinLink, type Role, type Room } from './api.js';
import { liveSection } from './live-section.js';
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
  select,
} from './ui.js';
import type { View, ViewContext } from './view.js';

const ROLE_OPTIONS: [Role, string][] = [
  ['host', 'Host'],
  ['participant', 'Participant'],
  ['guest', 'Guest'],
];

/** One room: its settings, join links to hand out, who is in it now, and closing it. */
export function roomView(context: ViewContext, roomId: string): View {
  const { api } = context;
  const title = heading('Room');
  const errors = errorBox();
  const details = h('dl', { class: 'details' });
  const body = h('div', {});
  const el = h(
    'section',
    { class: 'view' },
    h('p', {}, h('a', { href: '#rooms' }, '← All rooms')),
    title,
    errors.el,
    details,
    body,
  );
  let live: { el: HTMLElement; dispose(): void } | undefined;

  const show = (room: Room) => {
    title.textContent = room.name;
    document.title = `${room.name} · convene console`;
    details.replaceChildren(
      ...[
        ['Status', room.status],
        ['Lobby', room.lobby ? 'Guests wait to be admitted' : 'None'],
        ['Capacity', room.maxParticipants === null ? 'No limit' : String(room.maxParticipants)],
        ['Created', formatTime(room.createdAt)],
        ...(room.closedAt ? [['Closed', formatTime(room.closedAt)]] : []),
        ['Room ID', room.id],
      ].flatMap(([term, value]) => [h('dt', {}, term ?? ''), h('dd', {}, value ?? '')]),
    );
    live?.dispose();
    live = undefined;
    if (room.status !== 'open') {
      body.replaceChildren(
        h('p', { class: 'card' }, 'This room is closed: no one can join it any more.'),
      );
      return;
    }
    live = liveSection(api, room);
    body.replaceChildren(
      linksCard(context, room),
      live.el,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'close-title' },
        h('h2', { id: 'close-title' }, 'Close the room'),
        h(
          'p',
          {},
          'Everyone is disconnected and no one can join again. The chat audit trail stays.',
        ),
        actionButton(
          'Close room',
          async () => {
            if (!confirm(`Close the room "${room.name}"? Everyone in it is disconnected.`)) return;
            await api.closeRoom(room.id);
            announce(`Room ${room.name} closed`);
            show(await api.getRoom(room.id));
            title.focus();
          },
          errors,
          { class: 'danger' },
        ),
      ),
    );
  };

  api
    .getRoom(roomId)
    .then(show)
    .catch((error: unknown) => errors.show(error));
  return { title: 'Room', el, dispose: () => live?.dispose() };
}

/** Issues join links: a name and a role, one click to copy the link. */
function linksCard(context: ViewContext, room: Room): HTMLElement {
  const errors = errorBox();
  const displayName = h('input', {
    type: 'text',
    name: 'displayName',
    required: true,
    maxlength: 100,
  });
  const role = select('role', ROLE_OPTIONS);
  role.value = 'participant';
  const issued = h('div', { class: 'issued' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'links-title' },
    h('h2', { id: 'links-title' }, 'Join links'),
    h(
      'p',
      {},
      room.lobby
        ? 'Each link is for one person. Guests wait in the lobby until admitted below.'
        : 'Each link is for one person.',
    ),
    h('div', { class: 'form-row' }, field('Display name', displayName), field('Role', role)),
    errors.el,
    h('button', { type: 'submit', class: 'primary' }, 'Create join link'),
    issued,
  );
  onSubmit(form, errors, async () => {
    const name = displayName.value.trim();
    const token = await context.api.issueToken(room.id, name, role.value as Role);
    const link = joinLink(token.token);
    const label = `${role.value} link for ${name}`;
    issued.prepend(
      h(
        'div',
        {
          class: 'issued-link',
          'data-role': role.value,
          'data-participant-id': token.participantId,
        },
        copyable(label, link, 'join-link'),
        h(
          'p',
          { class: 'hint' },
          h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, `Open ${label}`),
          ` · expires ${formatTime(token.expiresAt)}`,
        ),
      ),
    );
    announce(`Join link created: ${label}`);
    displayName.value = '';
  });
  return form;
}
