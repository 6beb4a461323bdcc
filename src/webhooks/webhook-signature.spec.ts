import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { backoffMs, MAX_BACKOFF_MS } from './backoff.js';
import {
  signedHeaders,
  verifyWebhook,
  webhookSignature,
  WEBHOOK_HEADERS,
} from './webhook-signature.js';

const secret = 'whsec-0123456789abcdef0123456789abcdef';
const body = '{"id":"e1","type":"room.closed","createdAt":"2026-01-02T03:04:05.000Z","data":{}}';
const now = Date.UTC(2026, 0, 2, 3, 4, 5);

describe('webhook signatures', () => {
  it('is the hex HMAC-SHA256 of "<timestamp>.<body>", as the README documents', () => {
    const expected = createHmac('sha256', secret).update(`1767323045.${body}`).digest('hex');
    assert.equal(webhookSignature(secret, 1767323045, body), expected);
  });

  it('puts the event id, a timestamp in seconds and v1=<signature> in the headers', () => {
    const headers = signedHeaders(secret, 'e1', body, now);
    assert.equal(headers[WEBHOOK_HEADERS.id], 'e1');
    assert.equal(headers[WEBHOOK_HEADERS.timestamp], String(now / 1000));
    assert.equal(
      headers[WEBHOOK_HEADERS.signature],
      `v1=${webhookSignature(secret, now / 1000, body)}`,
    );
  });

  it('verifies what it signed, within the tolerance', () => {
    const h = signedHeaders(secret, 'e1', body, now);
    const check = (nowMs: number, b = body, s = secret) =>
      verifyWebhook(s, b, h[WEBHOOK_HEADERS.timestamp], h[WEBHOOK_HEADERS.signature], { nowMs });
    assert.equal(check(now), 'valid');
    assert.equal(check(now + 299_000), 'valid');
    assert.equal(check(now + 301_000), 'stale');
    assert.equal(check(now, body.replace('e1', 'e2')), 'bad-signature');
    assert.equal(check(now, body, `${secret}x`), 'bad-signature');
  });

  it('accepts any one matching v1 signature among several (secret rotation), and refuses garbage', () => {
    const ts = String(now / 1000);
    const good = `v1=${webhookSignature(secret, now / 1000, body)}`;
    assert.equal(verifyWebhook(secret, body, ts, `v1=00ff, ${good}`, { nowMs: now }), 'valid');
    assert.equal(verifyWebhook(secret, body, ts, 'v0=abc', { nowMs: now }), 'bad-signature');
    assert.equal(
      verifyWebhook(secret, body, ts, `v1=${'zz'.repeat(32)}`, { nowMs: now }),
      'bad-signature',
    );
    assert.equal(verifyWebhook(secret, body, 'soon', good, { nowMs: now }), 'malformed');
    assert.equal(verifyWebhook(secret, body, undefined, good, { nowMs: now }), 'malformed');
  });
});

describe('webhook backoff', () => {
  it('doubles per attempt, between half and all of the nominal wait, capped at an hour', () => {
    // [attempt, jitter draw, wait]
    const cases: [number, number, number][] = [
      [1, 0, 500],
      [1, 1, 1000],
      [4, 0, 4000],
      [4, 1, 8000],
      [40, 1, MAX_BACKOFF_MS],
    ];
    for (const [attempt, draw, wait] of cases)
      assert.equal(
        backoffMs(attempt, 1000, () => draw),
        wait,
        `attempt ${attempt}, draw ${draw}`,
      );
  });
});
