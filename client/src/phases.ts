/** The client's screens, in the order a person usually meets them. */
export const PHASES = ['prejoin', 'connecting', 'lobby', 'room', 'ended'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Where this person is in the meeting (pre-join, connecting, lobby, room, ended) and whether they
 * are in the room on the server right now. Plain state, no DOM. `ended` is final: nothing moves
 * the machine out of it.
 */
export class PhaseMachine {
  private current: Phase = 'prejoin';
  private inRoomOnServer = false;

  get phase(): Phase {
    return this.current;
  }

  /** In the room on the server right now (false from a dropped link until the re-join). */
  get joined(): boolean {
    return this.inRoomOnServer;
  }

  get ended(): boolean {
    return this.current === 'ended';
  }

  /** Join was clicked on the pre-join screen. */
  connecting(): void {
    this.move('connecting');
  }

  /** The join was refused before the room opened: the pre-join screen can try again. */
  backToPrejoin(): void {
    this.move('prejoin');
  }

  /** The server put this person in the lobby. */
  waiting(): void {
    this.move('lobby');
  }

  /** Joined or re-joined; true the first time, when the room is to be shown. */
  entered(): boolean {
    if (this.ended) return false;
    const first = this.current !== 'room';
    this.current = 'room';
    this.inRoomOnServer = true;
    return first;
  }

  /** The link dropped; true if this person was in the room (which stays on screen meanwhile). */
  linkLost(): boolean {
    if (this.current !== 'room') return false;
    this.inRoomOnServer = false;
    return true;
  }

  /** The meeting is over for this person; false if it already was. */
  end(): boolean {
    if (this.ended) return false;
    this.current = 'ended';
    this.inRoomOnServer = false;
    return true;
  }

  private move(to: Phase): void {
    if (!this.ended) this.current = to;
  }
}
