/**
 * The bare relay the benchmarks compare convene with: a Socket.IO server in its own process with
 * no validation, no storage and no auth. A socket says who it is in the handshake
 * (`auth.participantId`, and optionally `auth.roomId`) and joins `participant:<id>` (and
 * `room:<roomId>`). A private `chat:send` is emitted to the recipient's and the sender's personal
 * rooms, a public one to the room but the sender, as convene delivers, and acked with the
 * message. `room:join` is acked at once: the one round trip of the joins benchmark's baseline.
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { CONFERENCE_NAMESPACE } from '../src/protocol/events.js';

interface RelayPayload {
  kind: string;
  to?: string;
  text: string;
  clientMessageId: string;
}

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
let seq = 0;

io.of(CONFERENCE_NAMESPACE).on('connection', (socket) => {
  const auth = socket.handshake.auth as { participantId?: string; roomId?: string };
  const me = String(auth.participantId);
  const room = auth.roomId === undefined ? undefined : `room:${auth.roomId}`;
  void socket.join(room ? [`participant:${me}`, room] : `participant:${me}`);
  socket.on('room:join', (_payload: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
  socket.on('chat:send', (payload: RelayPayload, ack: (r: unknown) => void) => {
    const message = {
      id: randomUUID(),
      roomId: auth.roomId ?? 'relay',
      seq: (seq += 1),
      kind: payload.kind,
      from: { participantId: me, displayName: me },
      to: payload.to ?? null,
      text: payload.text,
      sentAt: new Date().toISOString(),
    };
    const namespace = io.of(CONFERENCE_NAMESPACE);
    if (payload.kind === 'public' && room)
      namespace.to(room).except(socket.id).emit('chat:message', message);
    else
      namespace
        .to([`participant:${payload.to}`, `participant:${me}`])
        .emit('chat:message', message);
    ack({ ok: true, message });
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening ${(http.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
