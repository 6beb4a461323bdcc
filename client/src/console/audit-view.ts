import type { AuditMessage, VerifyResult } from './api.js';
import { auditSearchForm, type AuditFilters } from './audit-filters.js';
import {
  actionButton,
  announce,
  copyable,
  errorBox,
  formatTime,
  h,
  heading,
  row,
  select,
  field,
  table,
} from './ui.js';
import type { View, ViewContext } from './view.js';

const HEADERS = ['Seq', 'Sent', 'Kind', 'From', 'To', 'Text'];
const PAGE_SIZE = 100;

/** Audit (scope audit:read): search a room's messages, export them, verify the room's chain. */
export function auditView(context: ViewContext, initialRoomId: string): View {
  const { api } = context;
  const errors = errorBox();
  const results = h('div', { class: 'audit-results' });
  const summary = h('p', { class: 'summary' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const verifyOut = h('div', { class: 'verify-result' });
  let messages: AuditMessage[] = [];
  let cursor: number | null = null;
  let filters: AuditFilters | undefined;
  const person = (p: { displayName: string; participantId: string } | null): Node | string => {
    if (!p) return 'Everyone';
    const only = h('button', { type: 'button', class: 'link-button' }, 'Only');
    only.setAttribute('aria-label', `Only messages sent or received by ${p.displayName}`);
    only.addEventListener('click', () => search.filterBy(p.participantId));
    return h(
      'span',
      { class: 'person', 'data-participant-id': p.participantId },
      p.displayName,
      ' ',
      only,
    );
  };

  const render = () => {
    results.replaceChildren(
      messages.length
        ? table(
            'Messages',
            HEADERS,
            messages.map((m) => {
              const tr = row(HEADERS, [
                String(m.seq),
                formatTime(m.sentAt),
                m.kind === 'private'
                  ? h('span', { class: 'badge badge-private' }, 'private')
                  : 'public',
                person(m.from),
                person(m.to),
                h('span', { class: 'message-text' }, m.text),
              ]);
              tr.dataset.seq = String(m.seq);
              return tr;
            }),
          )
        : h('p', {}, 'No messages match.'),
    );
    summary.textContent = `${messages.length} message${messages.length === 1 ? '' : 's'} found${cursor !== null ? ', more to load' : ''}.`;
    more.hidden = cursor === null;
  };

  const load = async (reset: boolean) => {
    if (!filters) return;
    const page = await api.auditMessages(filters.roomId, {
      kind: filters.kind || undefined,
      participantId: filters.participantId || undefined,
      from: filters.from,
      to: filters.to,
      limit: PAGE_SIZE,
      cursor: reset ? undefined : (cursor ?? undefined),
    });
    messages = reset ? page.items : [...messages, ...page.items];
    cursor = page.nextCursor;
    render();
    announce(summary.textContent ?? '');
  };

  const search = auditSearchForm(initialRoomId, errors, async (next) => {
    filters = next;
    verifyOut.replaceChildren();
    await load(true);
  });
  more.addEventListener('click', () => {
    more.disabled = true;
    load(false)
      .catch((error: unknown) => errors.show(error))
      .finally(() => (more.disabled = false));
  });

  const format = select('format', [
    ['ndjson', 'NDJSON (one JSON message per line)'],
    ['csv', 'CSV (spreadsheet)'],
  ]);
  const exportErrors = errorBox();
  const exportButton = actionButton(
    'Download export',
    async () => {
      const current = search.read();
      const chosen = format.value === 'csv' ? 'csv' : 'ndjson';
      const blob = await api.exportMessages({
        roomId: current.roomId,
        from: current.from,
        to: current.to,
        format: chosen,
      });
      download(blob, `convene-audit-${current.roomId.slice(0, 8)}.${chosen}`);
      announce(`Export downloaded (${blob.size} bytes)`);
    },
    exportErrors,
    { class: 'primary' },
  );

  const verifyErrors = errorBox();
  const verifyButton = actionButton(
    'Verify chain',
    async () => {
      const current = search.read();
      const result = await api.verify(current.roomId);
      showVerify(verifyOut, result);
      announce(
        result.valid
          ? `Chain valid: ${result.count} messages checked, head at seq ${result.headSeq}`
          : `Chain INVALID${result.firstBrokenSeq !== undefined ? ` from seq ${result.firstBrokenSeq}` : ''}`,
      );
    },
    verifyErrors,
    { class: 'primary' },
  );

  const el = h(
    'section',
    { class: 'view' },
    heading('Audit'),
    search.el,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'results-title' },
      h('h2', { id: 'results-title' }, 'Messages'),
      errors.el,
      summary,
      results,
      more,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'export-title' },
      h('h2', { id: 'export-title' }, 'Export'),
      h(
        'p',
        {},
        'Every message of the room in the time range above (public and private; kind and participant filters do not apply), with hashes to check offline.',
      ),
      field('Format', format),
      exportErrors.el,
      exportButton,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'verify-title' },
      h('h2', { id: 'verify-title' }, 'Verify the chain'),
      h(
        'p',
        {},
        "Recomputes the room's hash chain. Record the head (seq and hash) somewhere else: a later verify must show the same head or a longer chain.",
      ),
      verifyErrors.el,
      verifyButton,
      verifyOut,
    ),
  );
  return { title: 'Audit', el };
}

function showVerify(out: HTMLElement, result: VerifyResult): void {
  const head = JSON.stringify({ headSeq: result.headSeq, headHash: result.headHash });
  out.replaceChildren(
    h(
      'p',
      { class: result.valid ? 'verdict ok' : 'verdict bad', 'data-valid': String(result.valid) },
      result.valid ? 'Valid' : 'INVALID',
      ` — ${result.count} message${result.count === 1 ? '' : 's'} checked; signature ${result.signature}`,
      result.firstBrokenSeq !== undefined ? `; first broken seq ${result.firstBrokenSeq}` : '',
      result.checkpointSeq !== undefined
        ? `; checked from checkpoint seq ${result.checkpointSeq}`
        : '',
      '.',
    ),
    copyable('head seq', String(result.headSeq), 'head-seq'),
    copyable('head hash', result.headHash, 'head-hash'),
    copyable('chain head (JSON)', head, 'head-json'),
  );
}

/** Saves a Blob as a file through a temporary object URL (same origin: allowed by the CSP). */
function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
