import type { Room } from './api.js';
import {
  actionButton,
  announce,
  errorBox,
  field,
  formatTime,
  h,
  heading,
  onSubmit,
  row,
  select,
  table,
} from './ui.js';
import type { View, ViewContext } from './view.js';

const PAGE_SIZE = 25;
const HEADERS = ['Name', 'Status', 'Lobby', 'Capacity', 'Created', 'Actions'];

/** Rooms: create one, page through them (newest first), filter by name, open or close one. */
export function roomsView(context: ViewContext): View {
  const { api } = context;
  const createErrors = errorBox();
  const listErrors = errorBox();

  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: 200 });
  const capacity = h('input', { type: 'number', name: 'maxParticipants', min: 1, max: 1000 });
  const lobby = h('input', { type: 'checkbox', name: 'lobby' });
  const createForm = h(
    'form',
    { class: 'card', 'aria-labelledby': 'create-room-title' },
    h('h2', { id: 'create-room-title' }, 'Create a room'),
    h(
      'div',
      { class: 'form-row' },
      field('Room name', name),
      field('Capacity', capacity, 'Most people at once; empty for no limit.'),
    ),
    field('Lobby: guests wait until admitted', lobby),
    createErrors.el,
    h('button', { type: 'submit', class: 'primary' }, 'Create room'),
  );
  onSubmit(createForm, createErrors, async () => {
    const room = await api.createRoom({
      name: name.value.trim(),
      lobby: lobby.checked,
      maxParticipants: capacity.value ? Number(capacity.value) : undefined,
    });
    announce(`Room ${room.name} created`);
    context.navigate(`#room/${room.id}`);
  });

  const search = h('input', { type: 'search', name: 'q', autocomplete: 'off' });
  const status = select('status', [
    ['open', 'Open'],
    ['closed', 'Closed'],
    ['', 'All'],
  ]);
  const list = h('div', { class: 'room-list' });
  const summary = h('p', { class: 'summary' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let rooms: Room[] = [];
  let cursor: string | null = null;

  const render = () => {
    const query = search.value.trim().toLowerCase();
    const shown = query ? rooms.filter((r) => r.name.toLowerCase().includes(query)) : rooms;
    const rows = shown.map((room) =>
      row(HEADERS, [
        h('a', { href: `#room/${room.id}` }, room.name),
        h('span', { class: `badge badge-${room.status}` }, room.status),
        room.lobby ? 'Yes' : 'No',
        room.maxParticipants === null ? 'No limit' : String(room.maxParticipants),
        formatTime(room.createdAt),
        room.status === 'open'
          ? actionButton(
              'Close',
              async () => {
                if (!confirm(`Close the room "${room.name}"? Everyone in it is disconnected.`))
                  return;
                await api.closeRoom(room.id);
                room.status = 'closed';
                announce(`Room ${room.name} closed`);
                render();
              },
              listErrors,
              { class: 'danger', ariaLabel: `Close room ${room.name}` },
            )
          : '',
      ]),
    );
    list.replaceChildren(
      shown.length ? table('Rooms', HEADERS, rows) : h('p', {}, 'No rooms match.'),
    );
    summary.textContent = `${shown.length} of ${rooms.length} loaded rooms shown${cursor ? '; more on the server' : ''}.`;
    more.hidden = !cursor;
  };

  const load = async (reset: boolean) => {
    listErrors.clear();
    const page = await api.listRooms({
      status: status.value || undefined,
      limit: PAGE_SIZE,
      cursor: reset ? undefined : (cursor ?? undefined),
    });
    rooms = reset ? page.items : [...rooms, ...page.items];
    cursor = page.nextCursor;
    render();
    announce(summary.textContent ?? '');
  };
  const reload = () => void load(true).catch((error: unknown) => listErrors.show(error));

  search.addEventListener('input', () => {
    render();
    announce(summary.textContent ?? '');
  });
  status.addEventListener('change', reload);
  more.addEventListener('click', () => {
    more.disabled = true;
    load(false)
      .catch((error: unknown) => listErrors.show(error))
      .finally(() => (more.disabled = false));
  });

  const el = h(
    'section',
    { class: 'view' },
    heading('Rooms'),
    createForm,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'room-list-title' },
      h('h2', { id: 'room-list-title' }, 'All rooms'),
      h(
        'div',
        { class: 'form-row', role: 'search' },
        field('Filter by name', search, 'Filters the rooms loaded so far.'),
        field('Status', status),
      ),
      listErrors.el,
      summary,
      list,
      more,
    ),
  );
  reload();
  return { title: 'Rooms', el };
}
