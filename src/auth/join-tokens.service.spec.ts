import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { participantIdForSubject } from './join-tokens.service.js';

describe('participantIdForSubject', () => {
  const issuer = 'https://idp.example.test';
  const roomA = '11111111-1111-4111-8111-111111111111';
  const roomB = '22222222-2222-4222-8222-222222222222';

  it('is a UUID, the same for the same subject and room', () => {
    const id = participantIdForSubject(issuer, 'employee-4711', roomA);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(participantIdForSubject(issuer, 'employee-4711', roomA), id);
  });

  it('differs between rooms, subjects and issuers', () => {
    const ids = new Set([
      participantIdForSubject(issuer, 'employee-4711', roomA),
      participantIdForSubject(issuer, 'employee-4711', roomB),
      participantIdForSubject(issuer, 'employee-4712', roomA),
      participantIdForSubject('https://other.example.test', 'employee-4711', roomA),
    ]);
    assert.equal(ids.size, 4);
  });
});
