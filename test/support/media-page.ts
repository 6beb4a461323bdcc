// Runs inside headless Chromium (bundled with mediasoup-client by media-browser.ts): a minimal
// WebRTC participant. Signaling goes through `window.signal`, which the test forwards over the
// participant's Socket.IO connection, so the server sees an ordinary client.
import { Device, type types } from 'mediasoup-client';
import type { MediaKind, TransportDirection } from '../../src/protocol/events.js';

type Ack =
  { ok: true; [key: string]: unknown } | { ok: false; error: { code: string; message: string } };

interface PageWindow {
  signal(event: string, payload: unknown): Promise<Ack>;
}

const page = window as unknown as PageWindow;
const device = new Device();
const transports: Partial<Record<TransportDirection, types.Transport>> = {};
const consumers: types.Consumer[] = [];

async function request<T>(event: string, payload: unknown): Promise<T> {
  const ack = await page.signal(event, payload);
  if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
  return ack as T;
}

async function createTransport(direction: TransportDirection): Promise<types.Transport> {
  const { transport: options } = await request<{ transport: types.TransportOptions }>(
    'media:createTransport',
    { direction },
  );
  const transport =
    direction === 'send'
      ? device.createSendTransport(options)
      : device.createRecvTransport(options);
  transport.on('connect', ({ dtlsParameters }, callback, errback) => {
    request('media:connectTransport', { transportId: transport.id, dtlsParameters }).then(
      () => callback(),
      errback,
    );
  });
  transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
    request<{ producerId: string }>('media:produce', {
      transportId: transport.id,
      kind,
      rtpParameters,
      appData,
    }).then(({ producerId }) => callback({ id: producerId }), errback);
  });
  transports[direction] = transport;
  return transport;
}

/** Loads the router's capabilities and creates a send and a receive transport. */
export async function start(): Promise<void> {
  const { rtpCapabilities } = await request<{ rtpCapabilities: types.RtpCapabilities }>(
    'media:getRouterRtpCapabilities',
    {},
  );
  await device.load({ routerRtpCapabilities: rtpCapabilities });
  await createTransport('send');
  await createTransport('recv');
}

/** Sends the fake camera (VP8) and microphone (opus) through the send transport; returns producer ids. */
export async function sendCameraAndMicrophone(): Promise<string[]> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: 640, height: 360 },
  });
  const send = transports.send ?? (await createTransport('send'));
  const ids: string[] = [];
  for (const track of stream.getTracks()) ids.push((await send.produce({ track })).id);
  return ids;
}

/**
 * Sends the fake camera at 1280x720 as VP8 simulcast: three encodings (r0 = 1/4, r1 = 1/2,
 * r2 = full size). Chromium caps the layer count by resolution: at 640x360 it leaves r2 unused,
 * at 1280x720 it sends all three. It also enables a layer only when its bandwidth estimate
 * covers it: low caps keep that threshold under the estimate Chromium starts with, so r2 is
 * sent from the start instead of after a ramp-up that took up to 18 s with 1.5 Mbps on r2.
 */
export async function sendSimulcastCamera(): Promise<string> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { exact: 1280 }, height: { exact: 720 }, frameRate: 30 },
  });
  const send = transports.send ?? (await createTransport('send'));
  const codec = device.rtpCapabilities.codecs?.find(
    (c) => c.mimeType.toLowerCase() === 'video/vp8',
  );
  const producer = await send.produce({
    track: stream.getVideoTracks()[0],
    codec,
    encodings: [
      { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 80_000 },
      { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 200_000 },
      { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 400_000 },
    ],
  });
  return producer.id;
}

/** What the browser sends per simulcast encoding, from the sender's outbound-rtp reports. */
export async function outboundVideo(): Promise<
  { rid: string; frameWidth: number; frameHeight: number; framesEncoded: number }[]
> {
  const result: { rid: string; frameWidth: number; frameHeight: number; framesEncoded: number }[] =
    [];
  const send = transports.send;
  if (!send) return result;
  (await send.getStats()).forEach(
    (report: {
      type: string;
      kind?: string;
      rid?: string;
      frameWidth?: number;
      frameHeight?: number;
      framesEncoded?: number;
    }) => {
      if (report.type === 'outbound-rtp' && report.kind === 'video') {
        result.push({
          rid: report.rid ?? '',
          frameWidth: report.frameWidth ?? 0,
          frameHeight: report.frameHeight ?? 0,
          framesEncoded: report.framesEncoded ?? 0,
        });
      }
    },
  );
  return result.sort((a, b) => a.rid.localeCompare(b.rid));
}

/** Consumes a producer (paused on the server), plays it, then asks the server to resume it; returns the consumer id. */
export async function receive(producerId: string): Promise<string> {
  const recv = transports.recv ?? (await createTransport('recv'));
  const { consumer: options } = await request<{
    consumer: {
      id: string;
      producerId: string;
      kind: MediaKind;
      rtpParameters: types.RtpParameters;
    };
  }>('media:consume', {
    transportId: recv.id,
    producerId,
    rtpCapabilities: device.rtpCapabilities,
  });
  const consumer = await recv.consume(options);
  consumers.push(consumer);
  const element = document.createElement(consumer.kind === 'video' ? 'video' : 'audio');
  element.muted = true;
  element.autoplay = true;
  element.srcObject = new MediaStream([consumer.track]);
  document.body.append(element);
  await request('media:resumeConsumer', { consumerId: options.id });
  return options.id;
}

/** Asks the server which simulcast/SVC layers to forward on one of this page's consumers. */
export async function setPreferredLayers(
  consumerId: string,
  spatialLayer: number,
  temporalLayer?: number,
): Promise<void> {
  await request('media:setPreferredLayers', { consumerId, spatialLayer, temporalLayer });
}

/** The size of the frames the browser decodes for one consumer (0 before the first frame). */
export async function inboundVideo(
  consumerId: string,
): Promise<{ frameWidth: number; frameHeight: number; framesDecoded: number }> {
  const consumer = consumers.find((c) => c.id === consumerId);
  if (!consumer) throw new Error(`no consumer ${consumerId}`);
  const result = { frameWidth: 0, frameHeight: 0, framesDecoded: 0 };
  (await consumer.getStats()).forEach(
    (report: {
      type: string;
      kind?: string;
      frameWidth?: number;
      frameHeight?: number;
      framesDecoded?: number;
    }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') {
        result.frameWidth = report.frameWidth ?? 0;
        result.frameHeight = report.frameHeight ?? 0;
        result.framesDecoded = report.framesDecoded ?? 0;
      }
    },
  );
  return result;
}

export function connectionStates(): Record<string, string | undefined> {
  return { send: transports.send?.connectionState, recv: transports.recv?.connectionState };
}

/** The browser's own inbound-rtp counters, per kind. */
export async function inbound(): Promise<
  { kind: string; packetsReceived: number; bytesReceived: number }[]
> {
  const result: { kind: string; packetsReceived: number; bytesReceived: number }[] = [];
  for (const consumer of consumers) {
    (await consumer.getStats()).forEach(
      (report: {
        type: string;
        kind?: string;
        packetsReceived?: number;
        bytesReceived?: number;
      }) => {
        if (report.type === 'inbound-rtp') {
          result.push({
            kind: report.kind ?? consumer.kind,
            packetsReceived: report.packetsReceived ?? 0,
            bytesReceived: report.bytesReceived ?? 0,
          });
        }
      },
    );
  }
  return result;
}

/** The DTLS state the browser reached on each transport's ICE/DTLS stack. */
export async function dtlsStates(): Promise<string[]> {
  const states: string[] = [];
  for (const transport of Object.values(transports)) {
    (await transport.getStats()).forEach((report: { type: string; dtlsState?: string }) => {
      if (report.type === 'transport' && report.dtlsState) states.push(report.dtlsState);
    });
  }
  return states;
}
