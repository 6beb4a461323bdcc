/**
 * The load a reliability run holds while it breaks things: rooms spread over the nodes, every
 * participant sending on a fixed schedule (public and private in turn, private ones to someone
 * else in the room), one participant flooding. Every send is recorded with its outcome, every
 * delivery is checked as it arrives (a private message must be addressed to its receiver or sent
 * by them), and the run's phase is stamped on both, so that figures can be given per phase.
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage, ChatSendPayload } from '../../src/protocol/events.js';
import { percentile } from '../load.js';
import { createRoom, issueToken } from '../servers.js';
import { LoadParticipant, type ParticipantHost } from './participant.js';

export interface LoadShape {
  rooms: number;
  /** Participants per room (the flooder comes on top, in the first room). */
  perRoom: number;
  /** Messages per second each participant sends. */
  ratePerParticipant: number;
  /** Messages per second the flooder sends (0: no flooder). */
  floodRate: number;
}

export type Outcome = 'ok' | 'error' | 'no-ack';

export interface SendRecord {
  clientMessageId: string;
  sender: LoadParticipant;
  payload: ChatSendPayload;
  flooder: boolean;
  phase: string;
  sentAt: number;
  senderNode: number;
  recipientNode?: number;
  outcome?: Outcome;
  code?: string;
  messageId?: string;
  ackMs?: number;
  /** Delivery latencies to the intended receivers (the recipient, or the room's others). */
  deliveries: number[];
  deliveredToRecipient: boolean;
  retry?: { outcome: Outcome; code?: string; messageId?: string };
}

/** One phase's figures, from the records stamped with it (the flooder left out of latencies). */
export interface PhaseStats {
  phase: string;
  sends: number;
  ok: number;
  errors: Record<string, number>;
  noAck: number;
  ackP50: number;
  ackP99: number;
  ackMax: number;
  /** The slowest refusal's answer (e.g. AUDIT_UNAVAILABLE), ms. */
  refusalMax: number;
  deliveryP50: number;
  deliveryP99: number;
  /** Of acked private messages: the share that reached their recipient, same node / across. */
  privateDeliveredSameNode: number;
  privateDeliveredCrossNode: number;
  flooder: { sends: number; ok: number; rateLimited: number };
}

const round = (v: number) => (Number.isNaN(v) ? NaN : Math.round(v * 10) / 10);
const share = (records: SendRecord[]) =>
  records.length === 0
    ? NaN
    : round((100 * records.filter((r) => r.deliveredToRecipient).length) / records.length);

export class ChatLoad implements ParticipantHost {
  readonly participants: LoadParticipant[] = [];
  readonly records = new Map<string, SendRecord>();
  readonly roomIds: string[] = [];
  /** Distinct message ids that reached anyone. */
  readonly delivered = new Set<string>();
  readonly leaks: { receiver: string; message: ChatMessage }[] = [];
  duplicateDeliveries = 0;
  phase = 'warm-up';
  running = false;
  flooder: LoadParticipant | undefined;

  private readonly seen = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly nodeUrls: () => string[],
    readonly shape: LoadShape,
  ) {}

  urls(): string[] {
    return this.nodeUrls();
  }

  /** Creates the rooms and connects everyone (participant i of a room on node i mod nodes). */
  async setUp(): Promise<void> {
    const urls = this.urls();
    for (let r = 0; r < this.shape.rooms; r++) {
      const roomId = await createRoom(urls[0], `Reliability ${r + 1}`, this.shape.perRoom + 5);
      this.roomIds.push(roomId);
      const count = this.shape.perRoom + (r === 0 && this.shape.floodRate > 0 ? 1 : 0);
      for (let i = 0; i < count; i++) {
        const name = i === this.shape.perRoom ? 'Flooder' : `R${r + 1}-P${i + 1}`;
        const { token, participantId } = await issueToken(urls[0], roomId, name);
        const p = new LoadParticipant(this, roomId, participantId, name, token, i % urls.length);
        if (i === this.shape.perRoom) this.flooder = p;
        this.participants.push(p);
      }
    }
    this.running = true;
    await Promise.all(this.participants.map((p) => p.connect()));
  }

  /** Starts every participant's schedule (phase-shifted, so sends spread evenly). */
  start(): void {
    const everyone = this.participants.filter((p) => p !== this.flooder);
    const interval = 1000 / this.shape.ratePerParticipant;
    everyone.forEach((p, i) => {
      let n = 0;
      const first = setTimeout(
        () => {
          this.tick(p, n++);
          this.timers.push(setInterval(() => this.tick(p, n++), interval));
        },
        (interval * i) / everyone.length,
      );
      this.timers.push(first);
    });
    const flooder = this.flooder;
    if (flooder)
      this.timers.push(
        setInterval(() => this.track(this.send(flooder, 'public')), 1000 / this.shape.floodRate),
      );
  }

  private tick(p: LoadParticipant, n: number): void {
    this.track(this.send(p, n % 2 === 0 ? 'private' : 'public'));
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(() => undefined);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  /** Every participant on `node` sends `count` messages at once (a burst), not awaited. */
  burst(node: number, count: number): void {
    for (const p of this.participants)
      if (p !== this.flooder && p.joined && p.node === node)
        for (let i = 0; i < count; i++)
          this.track(this.send(p, i % 2 === 0 ? 'private' : 'public'));
  }

  /**
   * Sends one message of `kind` from `p` (private: to `recipient`, else another member of its
   * room at random) and records it.
   */
  async send(
    p: LoadParticipant,
    kind: 'public' | 'private',
    recipient?: LoadParticipant,
  ): Promise<SendRecord | undefined> {
    if (!p.joined) return undefined;
    const others = this.participants.filter(
      (o) => o.roomId === p.roomId && o !== p && o !== this.flooder,
    );
    const to =
      kind === 'private'
        ? (recipient ?? others[Math.floor(Math.random() * others.length)])
        : undefined;
    const clientMessageId = randomUUID();
    const payload: ChatSendPayload =
      to === undefined
        ? { kind: 'public', text: `${clientMessageId} public`, clientMessageId }
        : {
            kind: 'private',
            to: to.participantId,
            text: `${clientMessageId} private`,
            clientMessageId,
          };
    const record: SendRecord = {
      clientMessageId,
      sender: p,
      payload,
      flooder: p === this.flooder,
      phase: this.phase,
      sentAt: performance.now(),
      senderNode: p.node,
      recipientNode: to?.node,
      deliveries: [],
      deliveredToRecipient: false,
    };
    this.records.set(clientMessageId, record);
    const reply = await p.send(payload);
    if ('noAck' in reply) {
      record.outcome = 'no-ack';
      return record;
    }
    record.ackMs = performance.now() - record.sentAt;
    if (reply.ok) {
      record.outcome = 'ok';
      record.messageId = reply.message.id;
    } else {
      record.outcome = 'error';
      record.code = reply.error.code;
    }
    return record;
  }

  /** Checks a delivery: never a private message of others; latency to its intended receivers. */
  received(receiver: LoadParticipant, message: ChatMessage): void {
    this.delivered.add(message.id);
    const key = `${message.id}/${receiver.participantId}`;
    if (this.seen.has(key)) this.duplicateDeliveries += 1;
    this.seen.add(key);
    if (
      message.kind === 'private' &&
      message.to !== receiver.participantId &&
      message.from.participantId !== receiver.participantId
    )
      this.leaks.push({ receiver: receiver.participantId, message });
    const record = this.records.get(message.text.split(' ')[0]);
    if (!record || message.from.participantId === receiver.participantId) return;
    record.deliveries.push(performance.now() - record.sentAt);
    if (message.to === receiver.participantId) record.deliveredToRecipient = true;
  }

  /**
   * A private message from someone on node 1 to someone of the same room on node 2, now: ms
   * until the recipient had it (NaN: not within `timeoutMs`, or nobody to try it with).
   */
  async crossNodeProbe(timeoutMs = 5000): Promise<number> {
    const from = this.participants.find((p) => p.joined && p.node === 0 && p !== this.flooder);
    const to = this.participants.find(
      (q) => q.joined && q.node === 1 && q.roomId === from?.roomId && q !== this.flooder,
    );
    if (!from || !to) return NaN;
    const t0 = performance.now();
    const record = await this.send(from, 'private', to);
    if (record?.outcome !== 'ok') return NaN;
    while (!record.deliveredToRecipient && performance.now() - t0 < timeoutMs)
      await new Promise((r) => setTimeout(r, 20));
    return record.deliveredToRecipient ? Math.round(performance.now() - t0) : NaN;
  }

  /**
   * Sends again, with the same clientMessageId and payload, every message whose ack never came
   * (once its sender has joined again); what the retry answered is kept beside the first try.
   */
  async retryUnacked(timeoutMs = 20_000): Promise<number> {
    const unacked = [...this.records.values()].filter((r) => r.outcome === 'no-ack' && !r.retry);
    await Promise.all(
      unacked.map(async (r) => {
        const deadline = Date.now() + timeoutMs;
        while (!r.sender.joined && Date.now() < deadline)
          await new Promise((x) => setTimeout(x, 100));
        const reply = await r.sender.send(r.payload);
        r.retry = reply.ok
          ? { outcome: 'ok', messageId: reply.message.id }
          : 'noAck' in reply
            ? { outcome: 'no-ack' }
            : { outcome: 'error', code: reply.error.code };
      }),
    );
    return unacked.length;
  }

  /** Stops sending, waits for the sends in flight, then for deliveries to trail in. */
  async stop(settleMs = 2000): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await Promise.all([...this.inFlight]);
    await new Promise((r) => setTimeout(r, settleMs));
  }

  close(): void {
    this.running = false;
    for (const p of this.participants) p.close();
  }

  /** Sends of `phase` (all when undefined). */
  recordsOf(phase?: string): SendRecord[] {
    return [...this.records.values()].filter((r) => phase === undefined || r.phase === phase);
  }

  stats(phase: string): PhaseStats {
    const all = this.recordsOf(phase);
    const mine = all.filter((r) => !r.flooder);
    const floods = all.filter((r) => r.flooder);
    const ok = mine.filter((r) => r.outcome === 'ok');
    const acks = ok.map((r) => r.ackMs ?? NaN).sort((a, b) => a - b);
    const deliveries = ok.flatMap((r) => r.deliveries).sort((a, b) => a - b);
    const errors: Record<string, number> = {};
    for (const r of mine) if (r.code) errors[r.code] = (errors[r.code] ?? 0) + 1;
    const refusals = mine.filter((r) => r.outcome === 'error').map((r) => r.ackMs ?? 0);
    const privateOk = ok.filter((r) => r.payload.kind === 'private');
    return {
      phase,
      sends: mine.length,
      ok: ok.length,
      errors,
      noAck: mine.filter((r) => r.outcome === 'no-ack').length,
      ackP50: round(percentile(acks, 50)),
      ackP99: round(percentile(acks, 99)),
      ackMax: round(acks[acks.length - 1] ?? NaN),
      refusalMax: round(refusals.length ? Math.max(...refusals) : NaN),
      deliveryP50: round(percentile(deliveries, 50)),
      deliveryP99: round(percentile(deliveries, 99)),
      privateDeliveredSameNode: share(privateOk.filter((r) => r.senderNode === r.recipientNode)),
      privateDeliveredCrossNode: share(privateOk.filter((r) => r.senderNode !== r.recipientNode)),
      flooder: {
        sends: floods.length,
        ok: floods.filter((r) => r.outcome === 'ok').length,
        rateLimited: floods.filter((r) => r.code === 'RATE_LIMITED').length,
      },
    };
  }
}
