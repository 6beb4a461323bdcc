import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { IceConfig } from '../config/configuration.js';
import { IceServers, turnCredential } from './ice-servers.js';

/** HMAC-SHA1 from its definition (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)), 64-byte blocks. */
function hmacSha1ByDefinition(key: string, message: string): Buffer {
  let k = Buffer.from(key, 'utf8');
  if (k.length > 64) k = createHash('sha1').update(k).digest();
  const block = Buffer.concat([k, Buffer.alloc(64 - k.length)]);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  const inner = createHash('sha1')
    .update(Buffer.concat([pad(0x36), Buffer.from(message, 'utf8')]))
    .digest();
  return createHash('sha1')
    .update(Buffer.concat([pad(0x5c), inner]))
    .digest();
}

describe('TURN REST credentials', () => {
  it('the definition above is HMAC-SHA1 (RFC 2202 test case 2)', () => {
    assert.equal(
      hmacSha1ByDefinition('Jefe', 'what do ya want for nothing?').toString('hex'),
      'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
    );
  });

  it('username is "<expiry>:<participantId>", credential is base64(HMAC-SHA1(secret, username))', () => {
    const secret = 'a-long-shared-secret-for-coturn-0123456789';
    const participantId = '6f1c1b9e-2f4e-4c1a-9d55-0c8a1b2c3d4e';
    const { username, credential } = turnCredential(secret, participantId, 1_900_000_000);
    assert.equal(username, `1900000000:${participantId}`);
    assert.equal(credential, hmacSha1ByDefinition(secret, username).toString('base64'));
    // A long secret (more than a block) is hashed first, as the definition says.
    const long = 'k'.repeat(100);
    assert.equal(
      turnCredential(long, 'p', 5).credential,
      hmacSha1ByDefinition(long, '5:p').toString('base64'),
    );
  });

  it('issues the configured servers, then TURN with credentials that expire after the TTL', () => {
    const config: IceConfig = {
      iceServers: [{ urls: 'stun:stun.example.com:3478' }],
      turn: {
        secret: 's'.repeat(32),
        urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349'],
        ttlSeconds: 600,
      },
    };
    const now = Date.UTC(2026, 0, 1, 12, 0, 0, 750);
    const servers = new IceServers(config).forParticipant('p-1', now);
    assert.equal(servers.length, 2);
    assert.deepEqual(servers[0], { urls: 'stun:stun.example.com:3478' });
    const turn = servers[1];
    assert.deepEqual(turn?.urls, config.turn?.urls);
    assert.equal(turn?.username, `${Math.floor(now / 1000) + 600}:p-1`);
    assert.equal(
      turn?.credential,
      hmacSha1ByDefinition('s'.repeat(32), turn?.username ?? '').toString('base64'),
    );
    // Each participant gets their own.
    const other = new IceServers(config).forParticipant('p-2', now)[1];
    assert.notEqual(other?.credential, turn?.credential);
  });

  it('issues only the configured servers without a TURN secret', () => {
    const servers = new IceServers({ iceServers: [], turn: undefined }).forParticipant('p');
    assert.deepEqual(servers, []);
  });
});
