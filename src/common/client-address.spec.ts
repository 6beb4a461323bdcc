import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnv } from '../config/env.js';
import { clientAddress, compileTrust } from './client-address.js';

describe('clientAddress', () => {
  const xff = '198.51.100.7, 203.0.113.9, 10.0.0.5';

  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    assert.equal(clientAddress('10.0.0.1', xff, compileTrust(false)), '10.0.0.1');
  });

  it('with `true`, takes the leftmost address', () => {
    assert.equal(clientAddress('10.0.0.1', xff, compileTrust(true)), '198.51.100.7');
    assert.equal(clientAddress('10.0.0.1', undefined, compileTrust(true)), '10.0.0.1');
  });

  it('with a hop count, trusts that many proxies from convene outwards', () => {
    assert.equal(clientAddress('10.0.0.1', xff, compileTrust(1)), '10.0.0.5');
    assert.equal(clientAddress('10.0.0.1', xff, compileTrust(2)), '203.0.113.9');
  });

  it('with a list, stops at the first address that is not a trusted proxy', () => {
    const trust = compileTrust(['uniquelocal']);
    // A client that prepends its own X-Forwarded-For cannot choose its address.
    assert.equal(clientAddress('10.0.0.1', xff, trust), '203.0.113.9');
    assert.equal(clientAddress('::ffff:10.0.0.1', '203.0.113.9', trust), '203.0.113.9');
    assert.equal(clientAddress('192.0.2.1', xff, trust), '192.0.2.1', 'untrusted peer');
    const cidr = compileTrust(['10.0.0.0/30', '2001:db8::/32']);
    assert.equal(clientAddress('10.0.0.3', '203.0.113.9', cidr), '203.0.113.9');
    assert.equal(clientAddress('10.0.0.4', '203.0.113.9', cidr), '10.0.0.4');
    assert.equal(clientAddress('2001:db8::1', '203.0.113.9', cidr), '203.0.113.9');
  });
});

describe('CONVENE_TRUST_PROXY', () => {
  const parse = (value: string) => parseEnv({ CONVENE_TRUST_PROXY: value }).trustProxy;

  it('accepts false (default), true, a hop count and lists', () => {
    assert.equal(parseEnv({}).trustProxy, false);
    assert.equal(parse('false'), false);
    assert.equal(parse('true'), true);
    assert.equal(parse('2'), 2);
    assert.deepEqual(parse('loopback, 10.0.0.0/8,::1'), ['loopback', '10.0.0.0/8', '::1']);
  });

  it('names the variable and the bad entry', () => {
    // Names of Object.prototype members are not presets.
    for (const bad of ['yes', '10.0.0.0/33', '10.0.0.300', 'loopback,,fe80::/129', 'constructor']) {
      assert.throws(
        () => parse(bad),
        (error: Error) => /CONVENE_TRUST_PROXY/.test(error.message),
        bad,
      );
    }
  });
});
