import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { hasUnsafeText } from '../src/common/text.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import { CLIENT_TO_SERVER_EVENTS } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, TestApp } from './support/app.js';
import { useRooms } from './support/room.js';
import { TestClient } from './support/sockets.js';

// Reproduce a failure with the seed it prints: PROPERTY_SEED=<seed> npm test -- property
const SEED = Number(process.env.PROPERTY_SEED ?? 20261101);
// Runs per route; socket events are cheaper and get four times as many.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const MAX_PAYLOAD = 65_536;
const MAX_MESSAGE = 300;
const CODES = new Set<string>(Object.values(ErrorCode));

// ---- hostile values ----

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\u0007',
    '\u202Eevil',
    '\u2066x\u2069',
    '\uD800',
    'x\uDC00',
    '__proto__',
    'constructor',
    'NaN',
    'Infinity',
    '1e308',
    '-1',
    '0x10',
    '12345678901234567890123',
    '9007199254740993',
    'null',
    'true',
    '{}',
    '[]',
    '../../etc/passwd',
    '%00',
    "'; DROP TABLE rooms; --",
    'public',
    'private',
    'send',
    'audio',
    'video',
    'ndjson',
    'open',
  ),
  fc.integer({ min: 0, max: 9000 }).map((n) => 'x'.repeat(n)),
);

/** For URLs: Node refuses request heads over 16 KB itself (431), before convene sees them. */
const shortString = nastyString.filter((x) => x.length <= 200);

const FIELD_NAMES = [
  'kind',
  'to',
  'text',
  'clientMessageId',
  'limit',
  'before',
  'participantId',
  'direction',
  'transportId',
  'dtlsParameters',
  'rtpParameters',
  'appData',
  'producerId',
  'rtpCapabilities',
  'consumerId',
  'spatialLayer',
  'temporalLayer',
  'hard',
  'accept',
];
const key = fc.oneof(
  nastyString,
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
  fc.constantFrom(...FIELD_NAMES),
);

const scalar = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e308, -1e308, -0, Number.MAX_SAFE_INTEGER + 2, -1, 0, 1, 2.5),
);

/** Builds an object from entries as JSON.parse would: `__proto__` becomes an own key. */
function fromEntries(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map(fromEntries),
  ),
}));

/** An object with some of `fields` (the input's real names), each holding a hostile value. */
const shaped = (fields: readonly string[]) =>
  fc
    .subarray([...fields])
    .chain((names) =>
      fc.tuple(
        fc.constant(names),
        fc.array(value, { minLength: names.length, maxLength: names.length }),
      ),
    )
    .chain(([names, values]) =>
      fc
        .array(fc.tuple(key, value), { maxLength: 2 })
        .map((extra) =>
          fromEntries([...names.map((n, i): [string, unknown] => [n, values[i]]), ...extra]),
        ),
    );

// Shapes a client's own encoder cannot even produce (recursion): written as JSON text.
const deepArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObjects = (levels: number) => `${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}`;
const bigJson = fc.oneof(
  fc.integer({ min: 10, max: 30_000 }).map(deepArrays),
  fc.integer({ min: 10, max: 10_000 }).map(deepObjects),
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => `[${new Array<number>(n).fill(0).join(',')}]`),
  fc
    .integer({ min: 100, max: 5_000 })
    .map((n) => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`),
);

/** A payload as JSON text: random, shaped like the real input, or huge. */
const payloadJson = (fields: readonly string[]) =>
  fc.oneof(
    value.map((v) => JSON.stringify(v) ?? 'null'),
    shaped(fields).map((v) => JSON.stringify(v)),
    bigJson,
  );

/** Percent-encodes any string, lone surrogates included (as the UTF-8 of U+FFFD). */
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

function assertErrorShape(error: unknown, context: string): void {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  assert.ok(typeof code === 'string' && CODES.has(code), `${context}: code ${String(code)}`);
  assert.notEqual(code, ErrorCode.INTERNAL, `${context}: INTERNAL`);
  assert.ok(typeof message === 'string' && message.length <= MAX_MESSAGE, `${context}: message`);
}

const runs = { seed: SEED, numRuns: RUNS, endOnFailure: true };

// Inputs tried per target; written to PROPERTY_REPORT (a file) at the end, where `npm run
// reliability` reads its "bad inputs tried" figure.
const tried: Record<string, number> = {};
const count = (target: string) => (tried[target] = (tried[target] ?? 0) + 1);
after(() => {
  const file = process.env.PROPERTY_REPORT;
  if (file) writeFileSync(file, `${JSON.stringify({ seed: SEED, runs: RUNS, tried }, null, 2)}\n`);
});
const socketRuns = { ...runs, numRuns: RUNS * 4 };

// ---- the admin API ----

interface Route {
  method: 'get' | 'post' | 'delete';
  path: string;
  pathParams: string[];
  query: string[];
  body: string[];
}

/** Every /api/v1 route with its inputs, from the OpenAPI document the app serves. */
async function adminRoutes(url: string): Promise<Route[]> {
  type Op = {
    parameters?: { in: string; name: string }[];
    requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
  };
  const doc = (await request(url).get('/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, Op>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(ops)) {
      const params = op.parameters ?? [];
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? doc.components.schemas[ref.split('/').pop() ?? ''] : undefined;
      routes.push({
        method: method as Route['method'],
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        body: Object.keys(schema?.properties ?? {}),
      });
    }
  }
  return routes;
}

describe('property: no admin route answers 5xx or stores anything from invalid input', () => {
  let t: TestApp;
  let admin: Admin;
  const ids: string[] = [];
  before(async () => {
    t = await startApp({
      CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '1000000',
      CONVENE_WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
    });
    admin = new Admin(t.url);
    const roomId = await admin.createRoom({ name: 'Fixture', lobby: true });
    const guest = await admin.issueToken(roomId, 'Guest', 'guest');
    const key = await admin.post('/api/v1/api-keys', { name: 'fixture', scopes: ['audit:read'] });
    ids.push(roomId, guest.participantId, (key.body as { id: string }).id);
  });
  after(async () => t.close());

  /** Everything stored that an admin request could change. */
  const snapshot = async () =>
    (
      await t.db.query<{ digest: string }>(
        `SELECT concat_ws(':',
           (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY r.id), '')) FROM rooms r),
           (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY p.id), '')) FROM participants p),
           (SELECT md5(coalesce(string_agg(k.id::text || k.name || coalesce(k.revoked_at::text, ''), ',' ORDER BY k.id), '')) FROM api_keys k),
           (SELECT count(*) FROM chat_messages)) AS digest`,
      )
    )[0].digest;

  it('every route, over random path parameters, query strings and bodies', async (ctx) => {
    const routes = await adminRoutes(t.url);
    assert.ok(routes.length >= 15, `only ${routes.length} routes found`);
    for (const route of routes) {
      await ctx.test(`${route.method.toUpperCase()} ${route.path}`, async () => {
        const param = fc.oneof(
          fc.constantFrom(...ids),
          fc.uuid(),
          shortString.filter((x) => x.length > 0).map(pct),
          fc.constantFrom('%', '%ZZ', '%E0%A4%A', '..', '%2e%2e'),
        );
        const queryKey = fc.oneof(
          fc.constantFrom(...route.query, 'x'),
          fc.constantFrom(...route.query, 'x').map((k) => `${k}[a]`),
          fc.constantFrom(...route.query, 'x').map((k) => `${k}[]`),
          shortString,
        );
        const input = fc.record({
          params: fc.array(param, {
            minLength: route.pathParams.length,
            maxLength: route.pathParams.length,
          }),
          query: fc.array(fc.tuple(queryKey, shortString), { maxLength: 6 }),
          body: payloadJson(route.body),
        });
        await fc.assert(
          fc.asyncProperty(input, async ({ params, query, body }) => {
            count(`admin ${route.method.toUpperCase()} ${route.path}`);
            let path = route.path;
            route.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, params[i])));
            const qs = query.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
            const before = await snapshot();
            const http = request(t.url);
            const res = await http[route.method](qs ? `${path}?${qs}` : path)
              .set('X-API-Key', admin.key)
              .set('Content-Type', 'application/json')
              .send(body);
            const context = `${route.method} ${path}?${qs.slice(0, 200)} -> ${res.status}`;
            assert.ok(res.status < 500, `${context}: ${JSON.stringify(res.body).slice(0, 300)}`);
            if (res.status >= 400) {
              assertErrorShape((res.body as { error?: unknown }).error, context);
              assert.equal(await snapshot(), before, `${context} changed stored data`);
            }
          }),
          runs,
        );
      });
    }
    await request(t.url).get('/health/live').expect(200);
    // What was accepted is valid: no stored name carries what a name must not.
    const names = await t.db.query<{ name: string }>(
      `SELECT name FROM rooms UNION ALL SELECT display_name FROM participants
       UNION ALL SELECT name FROM api_keys`,
    );
    assert.deepEqual(
      names.filter((r) => hasUnsafeText(r.name)),
      [],
    );
  });
});

// ---- socket events ----

describe('property: no socket event acks INTERNAL or delivers anything from invalid input', () => {
  let t: TestApp;
  let roomId: string;
  let hostToken: string;
  let host: TestClient;
  let bystander: TestClient;
  let guestId: string;
  const rooms = useRooms(() => t);
  before(async () => {
    t = await startApp({
      CONVENE_CHAT_RATE_LIMIT_PER_10S: '100000',
      CONVENE_WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
    });
    const room = await rooms.create({ name: 'Sockets', lobby: true });
    roomId = room.id;
    const hostPerson = await room.join('Host', 'host');
    hostToken = hostPerson.token;
    host = hostPerson.client;
    bystander = (await room.join('Bystander')).client;
    guestId = (await room.join('Guest', 'guest')).participantId;
  });
  after(() => t.close());

  it('every ClientToServerEvents event, from a host, with random payloads', async (ctx) => {
    const stored = async () =>
      Number(
        (
          await t.db.query<{ n: string }>(
            `SELECT count(*) AS n FROM chat_messages WHERE room_id = $1`,
            [roomId],
          )
        )[0].n,
      );
    const fields = [...FIELD_NAMES];
    let acceptedChats = 0;
    let acceptedPublic = 0;
    const initiallyStored = await stored();
    for (const event of CLIENT_TO_SERVER_EVENTS) {
      await ctx.test(event, async () => {
        const payload = fc.oneof(
          payloadJson(fields),
          // Real ids where the protocol takes one, so handlers get past the UUID check.
          shaped(fields).map((v) => JSON.stringify({ ...v, participantId: guestId, to: guestId })),
        );
        await fc.assert(
          fc.asyncProperty(payload, async (json) => {
            count(`socket ${event}`);
            let ack: unknown;
            try {
              ack = await host.requestJson(event, json);
            } catch (error) {
              // Only an oversized packet may cost the connection; then the host comes back.
              assert.ok(Buffer.byteLength(json) > MAX_PAYLOAD, `${event}: ${String(error)}`);
              host = await rooms.connectAndJoin(hostToken);
              return;
            }
            const context = `${event} ${json.slice(0, 200)}`;
            assert.equal(typeof (ack as { ok?: unknown }).ok, 'boolean', context);
            const { ok, error } = ack as { ok: boolean; error?: unknown };
            if (!ok) assertErrorShape(error, context);
            else if (event === 'chat:send') {
              acceptedChats += 1;
              if ((ack as { message: { kind: string } }).message.kind === 'public')
                acceptedPublic += 1;
            } else if (event === 'room:leave') {
              host.close();
              host = await rooms.connectAndJoin(hostToken);
            }
          }),
          socketRuns,
        );
      });
    }
    // Nothing half-valid stored or delivered: every row and every delivery had an ok ack.
    assert.equal((await stored()) - initiallyStored, acceptedChats);
    const text = `still up ${randomUUID()}`;
    const ack = await host.request('chat:send', {
      kind: 'public',
      text,
      clientMessageId: randomUUID(),
    });
    assert.ok(ack.ok, JSON.stringify(ack));
    await bystander.waitFor('chat:message', (m) => m.text === text);
    assert.equal(bystander.events('chat:message').length, acceptedPublic + 1);
    await request(t.url).get('/health/live').expect(200);
  });
});
