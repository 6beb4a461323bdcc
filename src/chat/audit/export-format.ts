import { Transform } from 'node:stream';
import { columnValues, hashedSentAt, toAuditDto } from './audit-record.mapper.js';
import type { AuditRecord } from './audit.store.js';

/** What `GET /audit/export` can write; the first is the default. */
export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CSV_COLUMNS = [
  'id',
  'room_id',
  'seq',
  'kind',
  'sender_id',
  'sender_name',
  'recipient_id',
  'recipient_name',
  'text',
  'client_message_id',
  'sent_at',
  'prev_hash',
  'hash',
  'hash_version',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break. Values are not altered. */
function csvField(value: string | number | null): string {
  const s = value === null ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLine(r: AuditRecord): string {
  return columnValues(r, hashedSentAt(r)).map(csvField).join(',') + '\r\n';
}

/** Turns a stream of audit records into NDJSON or CSV text, one row at a time. */
export function exportFormatter(format: ExportFormat): Transform {
  let headerWritten = false;
  return new Transform({
    writableObjectMode: true,
    transform(record: AuditRecord, _encoding, done) {
      if (format === 'ndjson') return done(null, JSON.stringify(toAuditDto(record)) + '\n');
      const header = headerWritten ? '' : CSV_COLUMNS.join(',') + '\r\n';
      headerWritten = true;
      done(null, header + csvLine(record));
    },
    flush(done) {
      done(null, format === 'csv' && !headerWritten ? CSV_COLUMNS.join(',') + '\r\n' : '');
    },
  });
}
