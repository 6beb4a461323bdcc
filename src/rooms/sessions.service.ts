import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { NodeDirectory } from '../cluster/node-directory.js';
import { ConferenceServer, type SessionEnded } from '../conference/conference-server.js';
import { mediaConfig, type MediaConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  JoinedResult,
  LeaveReason,
  LobbyEntry,
  ParticipantView,
  WaitingResult,
} from '../protocol/events.js';
import type { SocketIdentity } from '../protocol/socket-data.js';
import { Hands } from './hands.js';
import {
  NO_CONTROLS,
  type ParticipantControls,
  ParticipantControlsStore,
} from './participant-controls.store.js';
import { PresenceAnnouncer } from './presence-announcer.js';
import { PresenceEntry, PresenceStore } from './presence/presence.store.js';
import { RoomEvents } from './room-events.js';
import { RoomsService } from './rooms.service.js';

const KICKED_ENDING: SessionEnded = {
  reason: 'kicked',
  code: ErrorCode.TOKEN_REVOKED,
  message: 'A host removed you from the room',
};
const REJECTED_ENDING: SessionEnded = {
  reason: 'kicked',
  code: ErrorCode.LOBBY_REJECTED,
  message: 'A host declined your request to join',
};
const REPLACED_ENDING: SessionEnded = {
  reason: 'replaced',
  message: 'You joined from another connection',
};
const ROOM_CLOSED_ENDING: SessionEnded = {
  reason: 'room-closed',
  code: ErrorCode.ROOM_CLOSED,
  message: 'This room was closed',
};

const toView = (e: PresenceEntry, c: ParticipantControls = NO_CONTROLS): ParticipantView => ({
  participantId: e.participantId,
  displayName: e.displayName,
  role: e.role,
  joinedAt: e.joinedAt.toISOString(),
  handRaisedAt: c.handRaisedAt?.toISOString() ?? null,
  mutedByHost: c.mutedByHost,
});

/** Leaving like this is for good: a raised hand goes down (after a dropped link it stays up). */
const LEAVES_FOR_GOOD: ReadonlySet<LeaveReason> = new Set(['left', 'kicked', 'expired']);

/** Live sessions: joining, leaving, the lobby, kicking and closing, over presence + sockets. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger('SessionsService');

  constructor(
    private readonly rooms: RoomsService,
    private readonly presence: PresenceStore,
    private readonly server: ConferenceServer,
    private readonly events: RoomEvents,
    private readonly nodes: NodeDirectory,
    private readonly controls: ParticipantControlsStore,
    private readonly hands: Hands,
    private readonly announcer: PresenceAnnouncer,
    // The join tells each person whether guests may share their screen (the client's button).
    @Inject(mediaConfig.KEY) private readonly media: Pick<MediaConfig, 'guestsMayShare'>,
  ) {}

  /**
   * Joins the connection to its room, or parks it in the lobby. A second connection of the same
   * participant replaces the first; capacity is checked atomically by the presence store.
   */
  async join(connection: SocketIdentity, socketId: string): Promise<JoinedResult | WaitingResult> {
    const { room, participant } = await this.rooms.getWithCurrentParticipant(
      connection.roomId,
      connection.participantId,
      { open: true },
    );
    if (participant.admission === 'rejected') {
      throw new DomainError(ErrorCode.LOBBY_REJECTED, 'A host declined your request to join');
    }
    // Role and name as stored now: an IdP sign-in since this connection's handshake may have
    // changed them (a host demoted there joins as who they are now).
    const identity: SocketIdentity = {
      ...connection,
      displayName: participant.displayName,
      role: participant.role,
    };
    if (!(await this.server.setIdentity(socketId, identity)))
      throw new DomainError(ErrorCode.NOT_JOINED, 'Connection closed');

    if (participant.admission === 'pending') {
      const waiter = {
        roomId: room.id,
        participantId: identity.participantId,
        displayName: identity.displayName,
        socketId,
        nodeId: this.nodes.nodeId,
        waitingSince: new Date(),
      };
      await this.presence.enqueueLobby(waiter);
      await this.server.enterLobby(socketId, identity.participantId);
      this.server.tellHosts(room.id, 'lobby:waiting', {
        participantId: waiter.participantId,
        displayName: waiter.displayName,
        waitingSince: waiter.waitingSince.toISOString(),
      });
      return { status: 'waiting' };
    }

    const entry: PresenceEntry = {
      ...identity,
      socketId,
      nodeId: this.nodes.nodeId,
      joinedAt: new Date(),
    };
    const result = await this.presence.join(entry, room.maxParticipants).catch(async (error) => {
      await this.server.settleJoin(socketId);
      throw error;
    });
    if (!result.ok) {
      await this.server.settleJoin(socketId);
      throw new DomainError(ErrorCode.ROOM_FULL, 'This room is full');
    }
    if (result.replacedSocketId) {
      // The connection presence replaced ends, and so does every other connection of this
      // participant that joined before this one or never joined; this one stays.
      await this.server.replaceSessions(
        identity.participantId,
        { socketId, seq: result.seq },
        result.replacedSocketId,
        REPLACED_ENDING,
      );
    }

    await this.server.enterRoom(socketId, identity, result.seq);

    const [everyone, controls] = await Promise.all([
      this.presence.list(room.id),
      this.controls.ofRoom(room.id),
    ]);
    const view = (e: PresenceEntry) => toView(e, controls.get(e.participantId));
    const current = everyone.find((e) => e.participantId === identity.participantId);
    if (current && current.socketId !== socketId) {
      // Another connection of this participant joined while this one was joining (and spared
      // it): the later join in presence is the one that stays.
      this.server.endConnection(socketId, REPLACED_ENDING);
      throw new DomainError(ErrorCode.NOT_JOINED, 'You joined from another connection');
    }
    const self = current ?? entry;
    // A repeated room:join on the same connection changes nothing and announces nothing.
    if (!result.replacedSocketId && !result.alreadyJoined) {
      this.announcer.joined(room.id, everyone.length, view(self), socketId);
      this.events.emit('participant.joined', {
        roomId: room.id,
        participantId: identity.participantId,
      });
    }
    return {
      status: 'joined',
      room: { id: room.id, name: room.name, screenShare: room.screenShare },
      guestsMayShare: this.media.guestsMayShare,
      self: view(self),
      participants: everyone.map(view),
    };
  }

  /**
   * Brings a live session in line with the participant's current role and name (after an IdP
   * sign-in changed them): presence, the connections' identity and host group; the room is told.
   */
  async applyIdentity(identity: SocketIdentity): Promise<void> {
    const { roomId, participantId, displayName, role } = identity;
    const entry = await this.presence.get(roomId, participantId);
    if (!entry || (entry.role === role && entry.displayName === displayName)) return;
    const updated = await this.presence.update(roomId, participantId, { displayName, role });
    if (!updated) return;
    await this.server.updateIdentity(roomId, participantId, { displayName, role });
    this.server.tellRoom(
      roomId,
      'participant:updated',
      toView(updated, await this.controls.of(roomId, participantId)),
    );
    this.logger.log({ roomId, participantId, role }, 'participant identity updated');
  }

  /**
   * Ends a connection whose participant was removed or whose room closed while it was
   * still in its handshake: a group disconnect does not reach a socket that has not connected
   * yet, so the standing is read again once it has (and the group reaches it from then on).
   */
  async confirmConnected(identity: SocketIdentity, socketId: string): Promise<void> {
    // What the handshake refuses (a rejected guest may connect, and is refused at room:join).
    const { roomId, participantId } = identity;
    const ended = await this.rooms.getWithCurrentParticipant(roomId, participantId).then(
      ({ room }) => (room.closedAt ? ROOM_CLOSED_ENDING : undefined),
      async (error: unknown) => {
        if (!(error instanceof DomainError) || error.code !== ErrorCode.TOKEN_REVOKED) throw error;
        // Removed: and the room closed too? (Rare, so read again rather than on every connection.)
        return (await this.rooms.get(roomId)).closedAt ? ROOM_CLOSED_ENDING : KICKED_ENDING;
      },
    );
    if (ended) this.server.endConnection(socketId, ended);
  }

  /** Ends a connection whose join token expired: out of the room (as `expired`), then closed. */
  async expire(identity: SocketIdentity, socketId: string): Promise<void> {
    await this.leave(identity, socketId, 'expired');
    this.server.endConnection(socketId, {
      reason: 'expired',
      code: ErrorCode.TOKEN_EXPIRED,
      message: 'Your join link has expired',
    });
  }

  /** Removes the participant if `socketId` is still their connection; tells the room why. */
  async leave(identity: SocketIdentity, socketId: string, reason: LeaveReason): Promise<void> {
    await this.presence
      .dequeueLobby(identity.roomId, identity.participantId, socketId)
      .then((waiter) => {
        if (waiter)
          this.server.tellHosts(identity.roomId, 'lobby:left', {
            participantId: waiter.participantId,
          });
      });
    const entry = await this.presence.leave(identity.roomId, identity.participantId, socketId);
    // A closed connection is out of every group already (and no node holds it any more).
    if (reason !== 'disconnected') await this.server.leaveRoom(socketId, identity);
    if (entry && LEAVES_FOR_GOOD.has(reason))
      await this.hands.leftRoom(identity.roomId, identity.participantId);
    if (entry) await this.announceLeft(identity.roomId, identity.participantId, reason);
  }

  async live(roomId: string): Promise<ParticipantView[]> {
    await this.rooms.get(roomId);
    const [everyone, controls] = await Promise.all([
      this.presence.list(roomId),
      this.controls.ofRoom(roomId),
    ]);
    return everyone.map((e) => toView(e, controls.get(e.participantId)));
  }

  /**
   * Removes a participant for good: revokes their identity, takes them out of presence, then
   * disconnects them on every node before it resolves, so nothing sent after the kick's answer
   * reaches them (src/conference/routing.pml checks this). A host (`byParticipantId`) cannot
   * remove themselves; the admin API passes no caller.
   */
  async kick(roomId: string, participantId: string, byParticipantId?: string): Promise<void> {
    if (participantId === byParticipantId) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        'You cannot remove yourself; leave instead',
      );
    }
    await this.rooms.revokeParticipant(roomId, participantId);
    const waiter = await this.presence.dequeueLobby(roomId, participantId);
    if (waiter) this.server.tellHosts(roomId, 'lobby:left', { participantId });
    const entry = await this.presence.leave(roomId, participantId);
    await this.server.endSessionsEverywhere(participantId, KICKED_ENDING);
    await this.hands.leftRoom(roomId, participantId);
    if (entry) await this.announceLeft(roomId, participantId, 'kicked');
  }

  /** Closes the room: stored as closed first (no new joins or tokens), then everyone is told. */
  async close(roomId: string): Promise<void> {
    await this.rooms.markClosed(roomId);
    const entries = await this.presence.clearRoom(roomId);
    // Every connection of the room, joined or not.
    this.server.endRoom(roomId, ROOM_CLOSED_ENDING);
    for (const entry of entries)
      this.events.emit('participant.left', {
        roomId,
        participantId: entry.participantId,
        reason: 'room-closed',
      });
    this.events.emit('room.closed', { roomId });
    this.logger.log({ roomId, participants: entries.length }, 'room closed');
  }

  async lobby(roomId: string): Promise<LobbyEntry[]> {
    await this.rooms.get(roomId);
    return (await this.presence.listLobby(roomId)).map((w) => ({
      participantId: w.participantId,
      displayName: w.displayName,
      waitingSince: w.waitingSince.toISOString(),
    }));
  }

  /** Admits a lobby guest: stored, so reconnects skip the lobby; the guest then joins. */
  async admit(roomId: string, participantId: string): Promise<void> {
    const participant = await this.rooms.assertLobbyDecision(roomId, participantId, 'admit');
    if (participant.admission === 'admitted') return;
    await this.rooms.setAdmission(participantId, 'admitted');
    await this.presence.dequeueLobby(roomId, participantId);
    this.server.tellHosts(roomId, 'lobby:left', { participantId });
    this.server.tellParticipants([participantId], 'lobby:admitted', {});
  }

  /** Rejects a lobby guest; someone already admitted must be removed (kicked) instead. */
  async reject(roomId: string, participantId: string): Promise<void> {
    await this.rooms.assertLobbyDecision(roomId, participantId, 'reject');
    await this.rooms.setAdmission(participantId, 'rejected');
    await this.presence.dequeueLobby(roomId, participantId);
    this.server.tellHosts(roomId, 'lobby:left', { participantId });
    this.server.tellParticipants([participantId], 'lobby:rejected', {});
    this.server.endSessions(participantId, REJECTED_ENDING);
  }

  /**
   * Removes what a dead node held (its participants and lobby guests) and tells their rooms, once
   * across the cluster: every live node calls this, and only the first finds anything.
   */
  async removeNode(nodeId: string): Promise<void> {
    const { entries, waiters } = await this.presence.removeNode(nodeId);
    if (!this.server.ready) return;
    for (const waiter of waiters)
      this.server.tellHosts(waiter.roomId, 'lobby:left', { participantId: waiter.participantId });
    // One size read per room (they were all removed at once), not one per participant.
    const byRoom = new Map<string, string[]>();
    for (const { roomId, participantId } of entries) {
      const ids = byRoom.get(roomId) ?? [];
      byRoom.set(roomId, ids);
      ids.push(participantId);
    }
    for (const [roomId, participantIds] of byRoom) {
      const roomSize = await this.presence.size(roomId);
      for (const id of participantIds) this.announceLeftIn(roomId, roomSize, id, 'disconnected');
    }
    if (entries.length + waiters.length > 0)
      this.logger.warn(
        { nodeId, participants: entries.length, waiting: waiters.length },
        'removed the connections of a node that is gone',
      );
  }

  private async announceLeft(
    roomId: string,
    participantId: string,
    reason: LeaveReason,
  ): Promise<void> {
    this.announceLeftIn(roomId, await this.presence.size(roomId), participantId, reason);
  }

  /** The participant left a room that has `roomSize` participants now. */
  private announceLeftIn(
    roomId: string,
    roomSize: number,
    participantId: string,
    reason: LeaveReason,
  ): void {
    this.announcer.left(roomId, roomSize, participantId, reason);
    this.events.emit('participant.left', { roomId, participantId, reason });
  }
}
