import { Transform } from 'node:stream';
import { chainFields, RawMessageRow, toAuditDto } from './audit-queries.js';

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

function csvLine(raw: RawMessageRow): string {
  return (
    [
      raw.id,
      raw.room_id,
      raw.seq,
      raw.kind,
      raw.sender_id,
      raw.sender_name,
      raw.recipient_id,
      raw.recipient_name,
      raw.text,
      raw.client_message_id,
      chainFields(raw).sentAt,
      raw.prev_hash,
      raw.hash,
      raw.hash_version,
    ]
      .map(csvField)
      .join(',') + '\r\n'
  );
}

/** Turns a stream of raw rows into NDJSON or CSV text, one row at a time. */
export function exportFormatter(format: 'ndjson' | 'csv'): Transform {
  let headerWritten = false;
  return new Transform({
    writableObjectMode: true,
    transform(raw: RawMessageRow, _encoding, done) {
      if (format === 'ndjson') return done(null, JSON.stringify(toAuditDto(raw)) + '\n');
      const header = headerWritten ? '' : CSV_COLUMNS.join(',') + '\r\n';
      headerWritten = true;
      done(null, header + csvLine(raw));
    },
    flush(done) {
      done(null, format === 'csv' && !headerWritten ? CSV_COLUMNS.join(',') + '\r\n' : '');
    },
  });
}
