import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryPresenceStore } from './in-memory-presence.store.js';

describe('InMemoryPresenceStore.removeNode', () => {
  it('removes the entries and waiters of one node, once, and nothing of the others', async () => {
    const store = new InMemoryPresenceStore();
    const person = (participantId: string, nodeId: string) => ({
      roomId: 'r1',
      participantId,
      displayName: participantId,
      role: 'participant' as const,
      socketId: `s-${participantId}`,
      nodeId,
      joinedAt: new Date(),
    });
    await store.join(person('a', 'dead'), null);
    await store.join(person('b', 'alive'), null);
    await store.enqueueLobby({ ...person('g', 'dead'), waitingSince: new Date() });

    const removed = await store.removeNode('dead');
    assert.deepEqual(
      {
        entries: removed.entries.map((e) => e.participantId),
        waiters: removed.waiters.map((w) => w.participantId),
      },
      { entries: ['a'], waiters: ['g'] },
    );
    assert.deepEqual(await store.removeNode('dead'), { entries: [], waiters: [] });
    assert.deepEqual(
      (await store.list('r1')).map((e) => e.participantId),
      ['b'],
    );
    assert.deepEqual(await store.listLobby('r1'), []);
  });
});
