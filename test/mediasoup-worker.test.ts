import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mediasoup from 'mediasoup';

describe('the mediasoup worker built at install', () => {
  it('starts, creates a router with the conference codecs and a WebRtcServer, and closes cleanly', async () => {
    const worker = await mediasoup.createWorker({ logLevel: 'warn' });
    const died: unknown[] = [];
    worker.on('died', (error) => died.push(error));
    try {
      const router = await worker.createRouter({
        mediaCodecs: [
          { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
          { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
          {
            kind: 'video',
            mimeType: 'video/H264',
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' },
          },
        ],
      });
      const mimeTypes = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
      assert.ok(
        mimeTypes.includes('audio/opus') &&
          mimeTypes.includes('video/VP8') &&
          mimeTypes.includes('video/H264'),
      );
      const server = await worker.createWebRtcServer({
        listenInfos: [{ protocol: 'udp', ip: '127.0.0.1', port: 0 }],
      });
      const transport = await router.createWebRtcTransport({
        webRtcServer: server,
        enableUdp: true,
      });
      assert.equal(transport.iceCandidates[0].ip, '127.0.0.1');
      // Closing the server under a live transport crashed unpatched builds (hardened abseil).
      server.close();
      assert.ok(transport.closed);
      const usage = await worker.getResourceUsage();
      assert.ok(usage.ru_maxrss > 0, 'the worker answers after closing its WebRtcServer');
      assert.deepEqual(died, []);
    } finally {
      worker.close();
    }
  });
});
