import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import type { AppConfig, MediaConfig } from '../config/configuration.js';
import { WorkerPool } from './worker-pool.js';

const media = (overrides: Partial<MediaConfig>): MediaConfig => ({
  workers: 2,
  routerMaxTransports: 400,
  rtcMinPort: 42000,
  rtcMaxPort: 42049,
  listenIp: '127.0.0.1',
  announcedAddress: undefined,
  guestAudioOnly: false,
  guestsMayShare: true,
  roomGraceSeconds: 0,
  ...overrides,
});
const app = { nodeEnv: 'test' } as AppConfig;

describe('WorkerPool', () => {
  before(() => Logger.overrideLogger(false));

  it('gives each worker its own WebRtcServer port, skipping one another process holds', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(42000, '127.0.0.1', resolve));
    const pool = new WorkerPool(media({ rtcMinPort: 42000 }), app);
    try {
      await pool.onModuleInit();
      const ports = pool.summary().map((w) => w.port);
      assert.equal(ports.length, 2);
      assert.equal(new Set(ports).size, 2);
      assert.ok(!ports.includes(42000), `took the squatted port: ${ports.join(',')}`);
      assert.ok(ports.every((p) => p > 42000 && p <= 42049));
    } finally {
      await pool.onApplicationShutdown();
      squatter.close();
    }
  });

  it('places work on the least-loaded worker: routers spread out, transports count', async () => {
    const pool = new WorkerPool(media({ rtcMinPort: 42100, rtcMaxPort: 42149 }), app);
    try {
      await pool.onModuleInit();
      const first = await pool.leastLoaded();
      await first.worker.createRouter({ mediaCodecs: [] });
      const second = await pool.leastLoaded();
      assert.notEqual(second.index, first.index, 'the second router goes to the idle worker');
      const busy = await second.worker.createRouter({ mediaCodecs: [] });
      // Both have one router; two transports on the second make the first the lighter one.
      for (let i = 0; i < 2; i++)
        await busy.createWebRtcTransport({ webRtcServer: second.webRtcServer });
      assert.deepEqual(
        pool.summary().map((w) => [w.index, w.routers, w.transports]),
        [
          [first.index, 1, 0],
          [second.index, 1, 2],
        ].sort((x, y) => x[0] - y[0]),
      );
      assert.equal((await pool.leastLoaded()).index, first.index);
      // Closing the busy router frees its worker again.
      busy.close();
      const after = pool.summary().find((w) => w.index === second.index);
      assert.deepEqual([after?.routers, after?.transports], [0, 0]);
      assert.equal((await pool.leastLoaded()).index, second.index);
    } finally {
      await pool.onApplicationShutdown();
    }
  });

  it('shuts down with live transports without any worker dying (routers close before WebRtcServers)', async () => {
    const pool = new WorkerPool(media({ rtcMinPort: 42100, rtcMaxPort: 42149 }), app);
    await pool.onModuleInit();
    const died: unknown[] = [];
    pool.events.on('worker.died', (e) => died.push(e));
    const slot = await pool.leastLoaded();
    slot.worker.on('died', (e) => died.push(e));
    const router = await slot.worker.createRouter({
      mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }],
    });
    await router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
    });
    await router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
    });
    assert.equal(pool.summary().find((w) => w.index === slot.index)?.transports, 2);
    await pool.onApplicationShutdown();
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(died, []);
    assert.ok(slot.worker.closed && !slot.worker.died);
    await assert.rejects(pool.leastLoaded(), /No media server/);
  });
  it('fails boot with a message naming the port variables when no port is free, leaving no worker behind', async () => {
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(42200, '127.0.0.1', resolve));
    const pool = new WorkerPool(media({ workers: 1, rtcMinPort: 42200, rtcMaxPort: 42200 }), app);
    try {
      await assert.rejects(pool.onModuleInit(), /CONVENE_RTC_MIN_PORT\.\.CONVENE_RTC_MAX_PORT/);
      assert.deepEqual(pool.summary(), []);
    } finally {
      squatter.close();
    }
  });
});
