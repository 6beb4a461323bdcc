import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { ServerEventOf } from '../../src/protocol/events.js';
import { describeEnd, describeError, endTitle, ServerError } from './errors.js';
import type { PhaseMachine } from './phases.js';

/** The end screen: its heading and words, and whether it offers Rejoin. */
export interface Ending {
  title: string;
  text: string;
  canRejoin: boolean;
}

/** What the page does next. */
export type Next =
  /** Nothing changes on screen. */
  | { do: 'stay' }
  /** Keep the room on screen without media until the re-join; open the link again after `retryInMs`. */
  | { do: 'reconnect'; retryInMs?: number }
  /**
   * The server is draining: close the link now and open it again after `inMs` (to the same
   * address: the load balancer picks a live node), then join again; the room stays on screen.
   */
  | { do: 'move'; inMs: number }
  /** Show the error on the pre-join screen, whose Join button tries again. */
  | { do: 'prejoin'; text: string }
  | { do: 'end'; ending: Ending };

/** How long to wait before trying again when the server said it is restarting. */
export const RESTART_RETRY_MS = 2000;
const OVER = 'The meeting is over for you';
/** Phases in which a draining server's client moves to another node (and then joins again). */
const MOVING_PHASES: ReadonlySet<string> = new Set(['connecting', 'lobby', 'room']);

/** Handshake refusals that no retry can fix: the pre-join screen is not offered again. */
const CANNOT_JOIN: ReadonlySet<ErrorCode | undefined> = new Set([
  ErrorCode.TOKEN_EXPIRED,
  ErrorCode.TOKEN_REVOKED,
  ErrorCode.TOKEN_INVALID,
  ErrorCode.ROOM_CLOSED,
]);

const end = (title: string, text: string, canRejoin = false): Next => ({
  do: 'end',
  ending: { title, text, canRejoin },
});

/**
 * What happens when the link or the session changes: keep the room and reconnect, go back to
 * the pre-join screen, or end, with the words the person reads. Decides only; the page acts.
 */
export class ReconnectPolicy {
  /** `random` spreads the moves of a draining server's clients (tests pass a fixed one). */
  constructor(
    private readonly phases: PhaseMachine,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The server is shutting down (`server:draining`): move, after the delay it suggests plus up
   * to as much again, so that its clients do not all reach the other nodes at the same moment.
   */
  draining({ reconnectInMs }: ServerEventOf<'server:draining'>): Next {
    if (!MOVING_PHASES.has(this.phases.phase)) return { do: 'stay' };
    return { do: 'move', inMs: Math.round(reconnectInMs * (1 + this.random())) };
  }

  /** The link dropped and the socket is retrying by itself. */
  linkDropped(): Next {
    return this.phases.phase === 'room' ? { do: 'reconnect' } : { do: 'stay' };
  }

  /** The server refused the handshake. */
  refused(code: ErrorCode | undefined, message: string): Next {
    // The server is restarting: keep the room on screen and try again shortly.
    if (code === ErrorCode.SERVICE_UNAVAILABLE && this.phases.phase === 'room')
      return { do: 'reconnect', retryInMs: RESTART_RETRY_MS };
    // A draining server's address still routed here (the load balancer had not caught up yet).
    if (code === ErrorCode.SERVER_DRAINING && MOVING_PHASES.has(this.phases.phase))
      return { do: 'reconnect', retryInMs: RESTART_RETRY_MS };
    const text = describeError(code, message);
    if (this.phases.phase === 'connecting' && !CANNOT_JOIN.has(code))
      return { do: 'prejoin', text };
    // Nothing more can happen on the pre-join screen: say so (the page turns the camera off).
    return end(endTitle(code), text);
  }

  /** The server refused `room:join`. */
  joinRefused(error: ServerError): Next {
    // The connection reached a server that started draining meanwhile: join on another one.
    if (error.code === ErrorCode.SERVER_DRAINING) return { do: 'move', inMs: RESTART_RETRY_MS };
    return end(endTitle(error.code), describeError(error.code, error.message));
  }

  /** The server is closing this connection (`session:ended`). */
  sessionEnded({ reason, code }: ServerEventOf<'session:ended'>): Next {
    if (reason === 'server-shutdown') return this.linkDropped();
    const title =
      reason === 'room-closed'
        ? endTitle(ErrorCode.ROOM_CLOSED)
        : reason === 'expired'
          ? 'Your join link has expired'
          : OVER;
    return end(title, describeEnd(reason, code as ErrorCode | undefined), reason === 'replaced');
  }

  lobbyRejected(): Next {
    return end(OVER, describeError(ErrorCode.LOBBY_REJECTED));
  }

  /** The person clicked Leave. */
  left(): Next {
    return end('You left', 'You left the meeting.', true);
  }

  /** What a failed background task tells the person; nothing when the end or a dropped link explains it. */
  taskFailed(error: unknown): string | undefined {
    // Requests cut short by the meeting ending are expected; the end screen says what happened.
    if (this.phases.ended) return undefined;
    // Cut short by a dropped link: the re-join redoes media and history, and the page already
    // says it is reconnecting.
    if (!(error instanceof ServerError))
      return this.phases.joined
        ? 'That did not work. Check your connection and try again.'
        : undefined;
    return describeError(error.code, error.message);
  }
}
