import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerError } from '../client/src/errors.js';
import {
  arrange,
  fitGrid,
  GRID_PAGE_SIZE,
  layerForHeight,
  spatialLayersOf,
  STRIP_PAGE_SIZE,
} from '../client/src/ui/stage-layout.js';
import { shareTileKey, VideoDemand } from '../client/src/video-demand.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import { answeringServer } from './support/client-room.js';

// The stage's arithmetic (client/src/ui/stage-layout.ts) and what the client asks the SFU to
// forward (client/src/video-demand.ts), run here in Node: they are plain TypeScript.

const people = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

describe('stage layout: pages and the large tile', () => {
  it('the grid shows at most a page of tiles; the page asked for is clamped to the pages there are', () => {
    const ids = people(GRID_PAGE_SIZE + 3);
    const base = { ids, selfId: 'p0', mode: 'grid' as const, speakerId: null, previousMain: null };
    const first = arrange({ ...base, page: 0 });
    assert.deepEqual(first.tiles, ids.slice(0, GRID_PAGE_SIZE));
    assert.equal(first.pageCount, 2);
    const second = arrange({ ...base, page: 1 });
    assert.deepEqual(second.tiles, ids.slice(GRID_PAGE_SIZE));
    // Someone leaves while the last page shows: it clamps to the page that is left.
    assert.equal(arrange({ ...base, ids: ids.slice(0, 5), page: 1 }).page, 0);
    assert.equal(arrange({ ...base, page: -4 }).page, 0);
    assert.deepEqual(arrange({ ...base, ids: [], page: 0 }), {
      main: null,
      tiles: [],
      page: 0,
      pageCount: 1,
    });
  });

  it('the speaker layout shows the active speaker large, never this person while anyone else is there', () => {
    const ids = people(STRIP_PAGE_SIZE + 4);
    const base = { ids, selfId: 'p0', mode: 'speaker' as const, page: 0 };
    const speaking = arrange({ ...base, speakerId: 'p7', previousMain: null });
    assert.equal(speaking.main, 'p7');
    assert.ok(!speaking.tiles.includes('p7'), 'the large tile is not in the strip too');
    assert.equal(speaking.tiles.length, STRIP_PAGE_SIZE);
    assert.equal(speaking.pageCount, 2);
    // This person speaking keeps whoever was large; with nobody before, the first other person.
    assert.equal(arrange({ ...base, speakerId: 'p0', previousMain: 'p7' }).main, 'p7');
    assert.equal(arrange({ ...base, speakerId: 'p0', previousMain: null }).main, 'p1');
    // Whoever was large left: the first other person.
    assert.equal(arrange({ ...base, speakerId: null, previousMain: 'gone' }).main, 'p1');
    assert.equal(arrange({ ...base, ids: ['p0'], speakerId: 'p0', previousMain: null }).main, 'p0');
  });

  it('a screen share is the large tile in the speaker layout, whoever speaks, and the first tile of the grid', () => {
    const ids = people(4);
    const base = { ids, selfId: 'p0', page: 0, speakerId: 'p2', previousMain: 'p3' };
    const shares = ['screen:p1'];
    const speaker = arrange({ ...base, mode: 'speaker', shares });
    assert.equal(speaker.main, 'screen:p1');
    // The sharer's camera stays a tile of its own, in the strip.
    assert.deepEqual(speaker.tiles, ids);
    assert.deepEqual(arrange({ ...base, mode: 'grid', shares }).tiles, ['screen:p1', ...ids]);
    // The share ended: the speaker is large again.
    assert.equal(arrange({ ...base, mode: 'speaker', shares: [] }).main, 'p2');
  });

  it('a small tile takes the lowest simulcast layer, a large one the highest the stream has', () => {
    assert.equal(layerForHeight(120, 3), 0);
    assert.equal(layerForHeight(180, 3), 0);
    assert.equal(layerForHeight(240, 3), 0);
    assert.equal(layerForHeight(300, 3), 1);
    assert.equal(layerForHeight(700, 3), 2);
    assert.equal(layerForHeight(700, 2), 1);
    assert.equal(layerForHeight(700, 1), 0);
    assert.equal(spatialLayersOf('S3T3'), 3);
    assert.equal(spatialLayersOf('L1T3'), 1);
    assert.equal(spatialLayersOf(undefined), 1);
  });

  it('the grid fits 16:9 tiles in the box: none overlaps, nothing overflows, the tiles are as large as they can be', () => {
    for (const [w, h] of [
      [1256, 560],
      [366, 640],
      [880, 560],
    ])
      for (let n = 1; n <= GRID_PAGE_SIZE; n++) {
        const gap = 10;
        const { columns, tileWidth } = fitGrid(n, w, h, gap);
        const rows = Math.ceil(n / columns);
        assert.ok(columns * tileWidth + (columns - 1) * gap <= w, `${n} in ${w}x${h}: width`);
        assert.ok(rows * ((tileWidth * 9) / 16) + (rows - 1) * gap <= h + 1, `${n}: height`);
        for (let other = 1; other <= n; other++) {
          const r = Math.ceil(n / other);
          const byW = (w - gap * (other - 1)) / other;
          const byH = ((h - gap * (r - 1)) / r) * (16 / 9);
          assert.ok(
            Math.floor(Math.min(byW, byH)) <= tileWidth,
            `${n}: ${other} columns not larger`,
          );
        }
      }
  });
});

describe('video demand: only the tiles on screen are received', () => {
  const setup = (answer?: Parameters<typeof answeringServer>[0]) => {
    const server = answeringServer(answer);
    const demand = new VideoDemand({ request: server.request });
    const sent = () => server.requests.splice(0).map((r) => [r.event, r.payload]);
    return { demand, sent };
  };

  it('a consumer off screen stays paused; shown, it asks for its layer first, then resumes; hidden again, it pauses', async () => {
    const { demand, sent } = setup();
    demand.show(new Map([['bob', 0]]));
    await demand.add('c-ann', 'ann', 2);
    await demand.add('c-bob', 'bob', 2);
    assert.deepEqual(sent(), [
      ['media:setPreferredLayers', { consumerId: 'c-bob', spatialLayer: 0 }],
      ['media:resumeConsumer', { consumerId: 'c-bob' }],
    ]);
    demand.show(new Map([['ann', 5]]));
    await demand.idle();
    // Each consumer's requests in order (different consumers' may interleave).
    const of = (consumerId: string) =>
      later.filter(([, p]) => (p as { consumerId: string }).consumerId === consumerId);
    const later = sent();
    assert.deepEqual(of('c-ann'), [
      ['media:setPreferredLayers', { consumerId: 'c-ann', spatialLayer: 1 }],
      ['media:resumeConsumer', { consumerId: 'c-ann' }],
    ]);
    assert.deepEqual(of('c-bob'), [['media:pauseConsumer', { consumerId: 'c-bob' }]]);
    assert.deepEqual(
      demand.states().map((s) => [s.tile, s.paused, s.spatialLayer]),
      [
        ['ann', false, 1],
        ['bob', true, 0],
      ],
    );
  });

  it("a screen share's consumer follows its own tile, not the sharer's camera tile", async () => {
    const { demand, sent } = setup();
    demand.show(new Map([['screen:bob', 2]]));
    await demand.add('c-bob-camera', 'bob', 2);
    await demand.add('c-bob-screen', shareTileKey('bob'), 1);
    assert.deepEqual(sent(), [['media:resumeConsumer', { consumerId: 'c-bob-screen' }]]);
    demand.show(new Map([['bob', 0]]));
    await demand.idle();
    const later = sent();
    assert.deepEqual(
      later.filter(([, p]) => (p as { consumerId: string }).consumerId === 'c-bob-screen'),
      [['media:pauseConsumer', { consumerId: 'c-bob-screen' }]],
    );
  });

  it('a stream without layers is only paused and resumed; an unchanged view sends nothing', async () => {
    const { demand, sent } = setup();
    demand.show(new Map([['cam', 2]]));
    await demand.add('c-cam', 'cam', 1);
    assert.deepEqual(sent(), [['media:resumeConsumer', { consumerId: 'c-cam' }]]);
    demand.show(new Map([['cam', 0]]));
    await demand.idle();
    assert.deepEqual(sent(), []);
  });

  it('quick page flips coalesce: each consumer ends where the last view puts it, requests in order', async () => {
    const { demand, sent } = setup();
    await demand.add('c-ann', 'ann', 1);
    demand.show(new Map([['ann', 0]]));
    demand.show(new Map());
    demand.show(new Map([['ann', 0]]));
    await demand.idle();
    const events = sent().map(([event]) => event);
    assert.equal(events.at(-1), 'media:resumeConsumer');
    assert.equal(demand.states()[0]?.paused, false);
  });

  it('a refused request leaves the state as it was, and the next change tries again', async () => {
    let refuse = true;
    const { demand, sent } = setup(() =>
      refuse ? new ServerError(ErrorCode.MEDIA_UNAVAILABLE, 'worker restarting') : {},
    );
    demand.show(new Map([['ann', 0]]));
    await demand.add('c-ann', 'ann', 1);
    assert.equal(demand.states()[0]?.paused, true);
    refuse = false;
    demand.show(new Map([['ann', 1]]));
    await demand.idle();
    assert.equal(demand.states()[0]?.paused, false);
    assert.equal(sent().length, 2);
    // A removed consumer is left alone.
    demand.remove('c-ann');
    demand.show(new Map());
    await demand.idle();
    assert.deepEqual(sent(), []);
  });
});
