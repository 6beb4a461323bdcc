import { field, h, onSubmit, select } from './ui.js';

export interface AuditFilters {
  roomId: string;
  kind: '' | 'public' | 'private';
  participantId: string;
  from?: string;
  to?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A datetime-local value (the person's local time) as an ISO 8601 instant. */
function instant(input: HTMLInputElement, label: string): string | undefined {
  if (!input.value) return undefined;
  const date = new Date(input.value);
  if (Number.isNaN(date.getTime())) throw new Error(`${label} is not a date and time.`);
  return date.toISOString();
}

/** The audit search: room (required), kind, participant and time range. */
export function auditSearchForm(
  initialRoomId: string,
  errors: { show(error: unknown): void; clear(): void },
  onSearch: (filters: AuditFilters) => Promise<void>,
): { el: HTMLFormElement; read(): AuditFilters; filterBy(participantId: string): void } {
  const roomId = h('input', {
    type: 'text',
    name: 'roomId',
    required: true,
    value: initialRoomId,
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const kind = select('kind', [
    ['', 'Public and private'],
    ['private', 'Private only'],
    ['public', 'Public only'],
  ]);
  const participantId = h('input', {
    type: 'text',
    name: 'participantId',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const from = h('input', { type: 'datetime-local', name: 'from', step: 1 });
  const to = h('input', { type: 'datetime-local', name: 'to', step: 1 });

  const read = (): AuditFilters => {
    const room = roomId.value.trim();
    const participant = participantId.value.trim();
    if (!UUID.test(room)) {
      roomId.setAttribute('aria-invalid', 'true');
      roomId.focus();
      throw new Error('Enter the room ID (a UUID, shown on the room page).');
    }
    roomId.removeAttribute('aria-invalid');
    if (participant && !UUID.test(participant)) {
      participantId.setAttribute('aria-invalid', 'true');
      participantId.focus();
      throw new Error("The participant ID is a UUID (use a name's “Only” button in the results).");
    }
    participantId.removeAttribute('aria-invalid');
    return {
      roomId: room,
      kind: kind.value === 'public' || kind.value === 'private' ? kind.value : '',
      participantId: participant,
      from: instant(from, 'From'),
      to: instant(to, 'To'),
    };
  };

  const el = h(
    'form',
    { class: 'card', role: 'search', 'aria-labelledby': 'audit-search-title' },
    h('h2', { id: 'audit-search-title' }, 'Search messages'),
    h(
      'div',
      { class: 'form-row' },
      field('Room ID', roomId),
      field('Kind', kind),
      field('Participant ID', participantId, 'Messages this person sent or received.'),
    ),
    h(
      'div',
      { class: 'form-row' },
      field('From (your local time)', from),
      field('To (your local time)', to),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  onSubmit(el, errors, () => onSearch(read()));
  const filterBy = (id: string) => {
    participantId.value = id;
    el.requestSubmit();
  };
  return { el, read, filterBy };
}
