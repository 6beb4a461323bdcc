import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import spectralCore from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import spectralRulesets from '@stoplight/spectral-rulesets';
import createClient from 'openapi-fetch';
import { generateClientTypes } from '../scripts/openapi-types.js';
import type { paths } from './generated/admin-api.js';
import { startApp, TEST_ADMIN_KEY, type TestApp } from './support/app.js';
import { connectAndJoin, type TestClient } from './support/sockets.js';
import { eventually } from './support/eventually.js';

const root = join(import.meta.dirname, '..', '..');
const specPath = join(root, 'openapi.json');
const readSpec = () => readFile(specPath, 'utf8');

/**
 * Redocly warnings the spec keeps on purpose, each with its reason; anything else fails.
 * - The probes answer 200 or 503, never a 4xx: documenting one would be false.
 * - convene is proprietary (package.json: UNLICENSED); there is no license to name or link.
 */
const ACCEPTED_REDOCLY_WARNINGS = [
  'info-license #/info',
  'operation-4xx-response #/paths/~1health~1live/get/responses',
  'operation-4xx-response #/paths/~1health~1ready/get/responses',
];

describe('the OpenAPI spec, as integrators use it', () => {
  it('passes Redocly’s recommended lint: no errors, and only the warnings accepted above', async () => {
    const problems = await lintFromString({
      source: await readSpec(),
      absoluteRef: specPath,
      config: await createConfig({ extends: ['recommended'] }),
    });
    const errors = problems.filter((p) => p.severity === 'error');
    assert.deepEqual(
      errors.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`),
      [],
    );
    const warnings = problems
      .filter((p) => p.severity === 'warn')
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}`)
      .sort();
    assert.deepEqual(warnings, ACCEPTED_REDOCLY_WARNINGS);
  });

  it('draws nothing from Spectral’s oas ruleset', async () => {
    const spectral = new spectralCore.Spectral();
    spectral.setRuleset({ extends: [spectralRulesets.oas] } as never);
    const results = await spectral.run(
      new spectralCore.Document(await readSpec(), spectralParsers.Json),
    );
    assert.deepEqual(
      results.map((r) => `${r.code} ${r.path.join('.')}: ${r.message}`),
      [],
    );
  });

  it('gives every operation a summary and a description, and every tag a description', async () => {
    const spec = JSON.parse(await readSpec()) as {
      tags: { name: string; description?: string }[];
      paths: Record<
        string,
        Record<string, { summary?: string; description?: string; tags?: string[] }>
      >;
    };
    const declared = new Map(spec.tags.map((t) => [t.name, t.description]));
    for (const [path, item] of Object.entries(spec.paths))
      for (const [method, op] of Object.entries(item)) {
        assert.ok(op.summary?.trim(), `${method} ${path}: no summary`);
        assert.ok(op.description?.trim(), `${method} ${path}: no description`);
        for (const tag of op.tags ?? [])
          assert.ok(declared.get(tag)?.trim(), `${method} ${path}: tag ${tag} not declared`);
      }
  });

  it('generates the committed client types (test/generated/admin-api.d.ts) from the committed spec', async () => {
    const committed = await readFile(join(root, 'test', 'generated', 'admin-api.d.ts'), 'utf8');
    assert.equal(
      await generateClientTypes(await readSpec()),
      committed,
      'stale client types: run `npm run openapi`',
    );
  });
});

describe('a client generated from the spec (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  const people: TestClient[] = [];
  before(async () => {
    t = await startApp();
  });
  after(async () => {
    for (const p of people) p.close();
    await t.close();
  });

  it('drives the admin flow: room, tokens, participants, kick, audit list, export, verify', async () => {
    const api = createClient<paths>({ baseUrl: t.url, headers: { 'X-API-Key': TEST_ADMIN_KEY } });

    const room = await api.POST('/api/v1/rooms', {
      body: { name: 'Quarterly review', maxParticipants: 10 },
    });
    assert.equal(room.response.status, 201, JSON.stringify(room.error));
    const roomId = room.data!.id;
    const fetched = await api.GET('/api/v1/rooms/{roomId}', { params: { path: { roomId } } });
    assert.equal(fetched.data?.name, 'Quarterly review');

    const token = (displayName: string) =>
      api.POST('/api/v1/rooms/{roomId}/tokens', {
        params: { path: { roomId } },
        body: { displayName, role: 'participant' },
      });
    const [ada, bob] = await Promise.all([token('Ada'), token('Bob')]);
    assert.ok(ada.data && bob.data, JSON.stringify(ada.error ?? bob.error));
    const adaSocket = await connectAndJoin(t.url, ada.data.token);
    const bobSocket = await connectAndJoin(t.url, bob.data.token);
    people.push(adaSocket, bobSocket);
    const sent = await adaSocket.request('chat:send', {
      kind: 'private',
      to: bob.data.participantId,
      text: 'the numbers are in',
      clientMessageId: crypto.randomUUID(),
    });
    assert.ok(sent.ok, JSON.stringify(sent));

    const participants = await api.GET('/api/v1/rooms/{roomId}/participants', {
      params: { path: { roomId } },
    });
    assert.deepEqual(participants.data?.map((p) => p.displayName).sort(), ['Ada', 'Bob']);

    const kicked = await api.DELETE('/api/v1/rooms/{roomId}/participants/{participantId}', {
      params: { path: { roomId, participantId: bob.data.participantId } },
    });
    assert.equal(kicked.response.status, 204);
    const remaining = await eventually(async () => {
      const left = await api.GET('/api/v1/rooms/{roomId}/participants', {
        params: { path: { roomId } },
      });
      return left.data?.length === 1 && left.data;
    }, 'Bob gone from the participants');
    assert.equal(remaining[0].displayName, 'Ada');

    const audit = await api.GET('/api/v1/rooms/{roomId}/messages', {
      params: { path: { roomId }, query: { kind: 'private' } },
    });
    assert.equal(audit.data?.items.length, 1);
    const [message] = audit.data.items;
    assert.equal(message.from.displayName, 'Ada');
    assert.equal(message.to?.displayName, 'Bob');
    assert.equal(message.text, 'the numbers are in');

    const exported = await api.GET('/api/v1/audit/messages/export', {
      params: { query: { roomId, format: 'ndjson' } },
      parseAs: 'text',
    });
    assert.equal(exported.response.status, 200);
    const lines = String(exported.data).trim().split('\n');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]) as { hash: string }).hash, message.hash);

    const verified = await api.GET('/api/v1/rooms/{roomId}/messages/verify', {
      params: { path: { roomId } },
    });
    assert.equal(verified.data?.valid, true);
    assert.equal(verified.data?.headSeq, message.seq);
    assert.equal(verified.data?.headHash, message.hash);

    // Errors come back typed too: the documented body with its stable code.
    const missing = await api.GET('/api/v1/rooms/{roomId}', {
      params: { path: { roomId: crypto.randomUUID() } },
    });
    assert.equal(missing.response.status, 404);
    assert.equal(missing.error?.error.code, 'ROOM_NOT_FOUND');
  });
});
