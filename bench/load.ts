/**
 * The load generator of the private-chat benchmark: N sender/recipient pairs over Socket.IO,
 * each sender keeping K `chat:send` in flight (closed loop: the next one leaves when an ack
 * returns), or all of them offering R messages/s between them on a fixed schedule (open loop),
 * for a warm-up and then D seconds. It measures messages/s delivered to recipients and
 * the latency from send to the recipient's `chat:message` and to the sender's ack. The same
 * generator drives the bare relay and convene, so the offered load is the same for both.
 */
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { CONFERENCE_NAMESPACE } from '../src/protocol/events.js';

export interface Pair {
  sender: Socket;
  recipient: Socket;
  recipientId: string;
}

export interface LoadOptions {
  /** Closed loop: sends each sender keeps in flight (the next leaves when an ack returns). */
  inFlight: number;
  seconds: number;
  warmupSeconds: number;
  /**
   * Open loop instead: messages per second offered in all, spread evenly over the senders and
   * sent on schedule whether or not earlier ones were acked (`inFlight` is then ignored).
   */
  rate?: number;
}

export interface LoadResult {
  /** Messages sent in the measured window that reached their recipient, per second. */
  throughput: number;
  delivered: number;
  deliveryP50: number;
  deliveryP99: number;
  ackP50: number;
  ackP99: number;
  /** Every acked send, warm-up included (what the server's CPU time is divided by). */
  acked: number;
  errors: number;
  firstError?: string;
}

/** Connects to `baseUrl`'s /conference namespace over WebSocket with `auth`. */
export function connectSocket(baseUrl: string, auth: Record<string, unknown>): Promise<Socket> {
  const socket = io(`${baseUrl}${CONFERENCE_NAMESPACE}`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** The `p`-th percentile of ascending `sorted` (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface AckReply {
  ok: boolean;
  error?: { code: string };
}

/** Drives `pairs` for a warm-up and then `seconds`; resolves once every message in flight is settled. */
export async function runLoad(pairs: Pair[], options: LoadOptions): Promise<LoadResult> {
  const sentAt = new Map<string, number>();
  const measured = new Set<string>();
  const delivery: number[] = [];
  const ack: number[] = [];
  let errors = 0;
  let acked = 0;
  let firstError: string | undefined;
  let measuring = false;
  let sending = true;

  const listeners = pairs.map((pair) => {
    const listener = (message: { text: string }) => {
      const at = sentAt.get(message.text);
      if (at === undefined) return;
      sentAt.delete(message.text);
      if (measured.delete(message.text)) delivery.push(performance.now() - at);
    };
    pair.recipient.on('chat:message', listener);
    return () => pair.recipient.off('chat:message', listener);
  });

  const sendOne = async (pair: Pair, text: string) => {
    const start = performance.now();
    const counted = measuring;
    sentAt.set(text, start);
    if (counted) measured.add(text);
    const reply = (await pair.sender
      .timeout(15_000)
      .emitWithAck('chat:send', {
        kind: 'private',
        to: pair.recipientId,
        text,
        clientMessageId: randomUUID(),
      })
      .catch((error: Error) => ({ ok: false, error: { code: error.message } }))) as AckReply;
    if (!reply.ok) {
      errors += 1;
      firstError ??= reply.error?.code;
      sentAt.delete(text);
      measured.delete(text);
      return false;
    }
    acked += 1;
    if (counted) ack.push(performance.now() - start);
    return true;
  };

  const closedLoop = (pair: Pair, p: number) => {
    let n = 0;
    const lane = async () => {
      while (sending) {
        // Back off a little after a refusal, so that a refusing server is not spun against.
        if (!(await sendOne(pair, `p${p}-${(n += 1)}`)))
          await new Promise((r) => setTimeout(r, 10));
      }
    };
    return Promise.all(Array.from({ length: options.inFlight }, lane));
  };

  // Each sender's messages leave on a fixed schedule (phase-shifted per sender), late ones at
  // once: the offered load does not depend on how fast the server answers.
  const openLoop = async (pair: Pair, p: number, rate: number) => {
    const interval = (1000 * pairs.length) / rate;
    const first = performance.now() + (interval * p) / pairs.length;
    const pending: Promise<boolean>[] = [];
    for (let n = 0; sending; n++) {
      const wait = first + n * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (sending) pending.push(sendOne(pair, `p${p}-${n}`));
    }
    await Promise.all(pending);
  };

  const senders = pairs.map((pair, p) =>
    options.rate ? openLoop(pair, p, options.rate) : closedLoop(pair, p),
  );

  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - start) / 1000;
  sending = false;
  await Promise.all(senders);
  // Deliveries may trail the last acks by a moment.
  const settle = Date.now() + 2000;
  while (measured.size > 0 && Date.now() < settle) await new Promise((r) => setTimeout(r, 20));
  for (const off of listeners) off();

  delivery.sort((a, b) => a - b);
  ack.sort((a, b) => a - b);
  return {
    throughput: delivery.length / elapsed,
    delivered: delivery.length,
    deliveryP50: percentile(delivery, 50),
    deliveryP99: percentile(delivery, 99),
    ackP50: percentile(ack, 50),
    ackP99: percentile(ack, 99),
    acked,
    errors,
    firstError,
  };
}

export interface OpenLoopResult {
  /** Per task that succeeded, ms from its scheduled start to its end, ascending. */
  latencies: number[];
  errors: number;
  firstError?: string;
  /** How late the generator started tasks (ms past their schedule): its own lag, p99 and max. */
  startLagP99: number;
  startLagMax: number;
  /** ms from the first scheduled start to the last task's end. */
  elapsed: number;
}

/**
 * Open loop: starts `task(i)` for i = 0 .. count-1 at `ratePerSecond`, each on its schedule
 * whatever the earlier ones are doing, and times each from its scheduled start (so a late start,
 * the generator's own lag, counts against the task rather than hiding it).
 */
export async function openLoop(
  count: number,
  ratePerSecond: number,
  task: (i: number) => Promise<void>,
): Promise<OpenLoopResult> {
  const interval = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const lags: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const running: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const scheduled = t0 + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lags.push(performance.now() - scheduled);
    running.push(
      task(i).then(
        () => void latencies.push(performance.now() - scheduled),
        (error: unknown) => {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.all(running);
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    latencies,
    errors,
    firstError,
    startLagP99: percentile(lags, 99),
    startLagMax: lags[lags.length - 1] ?? NaN,
    elapsed,
  };
}
