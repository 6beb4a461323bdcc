import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeKilled, nodePartitioned, redisLost } from '../bench/reliability/cluster-faults.js';
import { postgresStopped, sleep } from '../bench/reliability/faults.js';
import { checkInvariants } from '../bench/reliability/invariants.js';
import { startRig, type StartedRig } from '../bench/reliability/rig.js';

/**
 * The short version of `npm run reliability` (bench/reliability): the same rig, load and faults,
 * smaller and briefer. Two nodes on a PostgreSQL and a Redis of the test's own, which it stops
 * and kills; the shared ones are never touched.
 */
describe('reliability: faults under a chat load on two nodes', () => {
  let rig: StartedRig;
  before(async () => {
    rig = await startRig({
      shape: { rooms: 2, perRoom: 3, ratePerParticipant: 2, floodRate: 0 },
      pgPort: 55441,
      redisPort: 56391,
      rtcBase: 42340,
      deadlineMs: 1000,
    });
    rig.load.start();
    await sleep(2000);
  });
  after(async () => {
    await rig?.close();
  });

  it('PostgreSQL stopped, then started: sends are refused with AUDIT_UNAVAILABLE within the deadline, and chat resumes without restarting convene', async () => {
    const result = await postgresStopped(rig, 3000);
    console.log(`# ${result.outcome}`);
    assert.ok(result.during.errors.AUDIT_UNAVAILABLE > 0, JSON.stringify(result.during));
    assert.ok(result.passed, result.outcome);
  });

  it('Redis lost (data gone) and back: nothing is acknowledged without an answer, and everyone chats again, across nodes, without help', async () => {
    const result = await redisLost(rig, 4000);
    console.log(`# ${result.outcome}`);
    assert.ok(result.passed, result.outcome);
  });

  it('node 2 cut off from Redis (and node 1) past its TTL: once the link heals it ends its sessions, their clients join again, and everyone chats again across nodes', async () => {
    const result = await nodePartitioned(rig, 4500);
    console.log(`# ${result.outcome}`);
    assert.ok(result.passed, result.outcome);
    assert.ok(Number.isFinite(result.figures.crossNodeMs), 'a private message across nodes');
  });

  it('a node SIGKILLed mid-burst and restarted: every acknowledged message is stored exactly once, nothing was delivered without a row or to a third person, each room chain verifies', async () => {
    const result = await nodeKilled(rig, 1000);
    console.log(`# ${result.outcome}`);
    assert.ok(result.passed, result.outcome);
    await rig.load.stop();
    const rows = await rig.pg.query<{ id: string; sender_id: string; client_message_id: string }>(
      rig.cluster.db.name,
      'SELECT id, sender_id, client_message_id FROM chat_messages',
    );
    const invariants = await checkInvariants(rig.load, rows, rig.cluster.node(0).url);
    console.log(`# ${JSON.stringify(invariants)}`);
    assert.ok(invariants.acked > 50, `only ${invariants.acked} messages acknowledged`);
    assert.equal(invariants.messagesLost, 0);
    assert.equal(invariants.ackedNotExactlyOnce, 0);
    assert.equal(invariants.deliveredWithoutRow, 0);
    assert.equal(invariants.privateSeenByOthers, 0);
    assert.equal(invariants.duplicateDeliveries, 0);
    assert.equal(invariants.chainsInvalid, 0);
  });
});
