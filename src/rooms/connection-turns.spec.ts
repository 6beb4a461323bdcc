import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionTurns } from './connection-turns.js';

describe('ConnectionTurns', () => {
  it('runs one connection’s turns in arrival order, each after the previous one settled', async () => {
    const turns = new ConnectionTurns();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await sleep(ms);
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([
      turns.run('s1', step('join', 20)),
      turns.run('s1', step('leave', 0)),
    ]);
    assert.deepEqual(results, ['join', 'leave']);
    assert.deepEqual(log, ['join start', 'join end', 'leave start', 'leave end']);
  });

  it('a failed turn fails alone: the next one still runs', async () => {
    const turns = new ConnectionTurns();
    const failed = turns.run('s1', () => Promise.reject(new Error('join refused')));
    const next = turns.run('s1', () => Promise.resolve('leave'));
    await assert.rejects(failed, /join refused/);
    assert.equal(await next, 'leave');
  });

  it('other connections do not wait', async () => {
    const turns = new ConnectionTurns();
    let release!: () => void;
    const slow = turns.run('s1', () => new Promise<void>((resolve) => (release = resolve)));
    assert.equal(await turns.run('s2', () => Promise.resolve('s2 done')), 's2 done');
    release();
    await slow;
  });
});
