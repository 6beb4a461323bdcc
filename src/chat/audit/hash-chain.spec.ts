import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ChainFields, GENESIS_HASH, hashedTime, linkHash } from './hash-chain.js';

const link: ChainFields = {
  hashVersion: 2,
  id: '6f1c3d2a-0000-4000-8000-000000000001',
  roomId: '6f1c3d2a-0000-4000-8000-000000000002',
  seq: 1,
  kind: 'private',
  senderId: '6f1c3d2a-0000-4000-8000-000000000003',
  senderName: 'Alice',
  recipientId: '6f1c3d2a-0000-4000-8000-000000000004',
  recipientName: 'Bob',
  text: 'hello',
  clientMessageId: '6f1c3d2a-0000-4000-8000-000000000005',
  sentAt: '2026-01-02T03:04:05.678901Z',
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const documentedFields = (sentAt: string) => [
  GENESIS_HASH,
  link.id,
  link.roomId,
  1,
  'private',
  link.senderId,
  'Alice',
  link.recipientId,
  'Bob',
  'hello',
  link.clientMessageId,
  sentAt,
];

describe('linkHash', () => {
  it('version 2 is SHA-256 over [2, previous hash, fields..., time in µs] as JSON', () => {
    // Recomputable by an auditor with any SHA-256 tool: the canonical form is in the README.
    const expected = sha256(
      JSON.stringify([2, ...documentedFields('2026-01-02T03:04:05.678901Z')]),
    );
    assert.equal(linkHash(GENESIS_HASH, link), expected);
  });

  it('version 1 (rows written before version 2) is the same array without the version, time in ms', () => {
    const v1 = { ...link, hashVersion: 1 as const, sentAt: '2026-01-02T03:04:05.678Z' };
    assert.equal(
      linkHash(GENESIS_HASH, v1),
      sha256(JSON.stringify(documentedFields('2026-01-02T03:04:05.678Z'))),
    );
  });

  it('hashes the time at the precision of its version', () => {
    assert.equal(hashedTime('2026-01-02T03:04:05.678901Z', 2), '2026-01-02T03:04:05.678901Z');
    assert.equal(hashedTime('2026-01-02T03:04:05.678000Z', 1), '2026-01-02T03:04:05.678Z');
  });

  it('changes when any covered field, the version or the previous hash changes', () => {
    const base = linkHash(GENESIS_HASH, link);
    const edits: Partial<ChainFields>[] = [
      { hashVersion: 1 },
      { id: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { roomId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { seq: 2 },
      { kind: 'public' },
      { senderId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { senderName: 'Mallory' },
      { recipientId: null },
      { recipientName: null },
      { text: 'hello!' },
      { clientMessageId: '6f1c3d2a-0000-4000-8000-0000000000ff' },
      { sentAt: '2026-01-02T03:04:05.678902Z' },
    ];
    for (const edit of edits) {
      assert.notEqual(linkHash(GENESIS_HASH, { ...link, ...edit }), base, JSON.stringify(edit));
    }
    assert.notEqual(linkHash(base, link), base);
  });

  it('cannot be fooled by moving text across a field boundary', () => {
    const a = linkHash(GENESIS_HASH, { ...link, senderName: 'Al', text: 'icehello' });
    const b = linkHash(GENESIS_HASH, { ...link, senderName: 'Alice', text: 'hello' });
    assert.notEqual(a, b);
  });
});
