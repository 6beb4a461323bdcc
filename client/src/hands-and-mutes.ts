import type { MediaKind, ServerEventOf } from '../../src/protocol/events.js';
import type { HostPage } from './host-actions.js';
import type { RoomStore } from './room-store.js';

/** What raised hands and host mutes need from the page around them. */
export interface HandsPage extends Pick<HostPage, 'request' | 'notice' | 'changed' | 'run'> {
  /** Asks a yes/no question; resolves true for yes. */
  confirm(question: string, detail: string, confirmLabel: string): Promise<boolean>;
}

/** What this person's media does when they accept a host's ask to unmute. */
export interface SelfMedia {
  unmute(kind: MediaKind): Promise<void>;
}

const what = (kind: MediaKind) => (kind === 'audio' ? 'microphone' : 'camera');

/**
 * Raised hands (this person's own, everyone's in order) and what hosts' mutes mean here: a hard
 * mute keeps the microphone off until a host allows it, an ask to unmute is a question to answer,
 * and hosts hear the answer. Every change is said in the polite live region (the page's notices).
 */
export class HandsAndMutes {
  constructor(
    private readonly store: RoomStore,
    private readonly media: SelfMedia,
    private readonly page: HandsPage,
  ) {}

  /** Raises this person's hand, or lowers it if it is up. */
  toggleOwnHand(): void {
    const up = this.store.self()?.handRaisedAt != null;
    this.page.run(
      up
        ? this.page.request('hand:lower', {}).then(() => this.handLowered(this.store.selfId, false))
        : this.page
            .request('hand:raise', {})
            .then(({ raisedAt }) =>
              this.handRaised({ participantId: this.store.selfId, raisedAt }),
            ),
    );
  }

  handRaised({ participantId, raisedAt }: ServerEventOf<'hand:raised'>): void {
    const person = this.store.model.people.get(participantId);
    if (!person || person.handRaisedAt === raisedAt) return;
    this.store.setHand(participantId, raisedAt);
    this.page.changed();
    this.page.notice(
      person.isSelf ? 'You raised your hand.' : `${person.displayName} raised their hand.`,
    );
  }

  handLowered(participantId: string, byHost: boolean): void {
    const person = this.store.model.people.get(participantId);
    if (!person || person.handRaisedAt === null) return;
    this.store.setHand(participantId, null);
    this.page.changed();
    if (person.isSelf)
      this.page.notice(byHost ? 'A host lowered your hand.' : 'You lowered your hand.');
    else this.page.notice(`${person.displayName}'s hand is down.`);
  }

  hostMuteChanged({ participantId, mutedByHost }: ServerEventOf<'media:hostMuteChanged'>): void {
    const before = this.store.model.people.get(participantId)?.mutedByHost ?? [];
    const person = this.store.setMutedByHost(participantId, mutedByHost);
    if (!person) return;
    this.page.changed();
    if (!person.isSelf) return;
    for (const kind of mutedByHost)
      if (!before.includes(kind))
        this.page.notice(
          `A host muted your ${what(kind)}. You can turn it on when a host allows it.`,
        );
    for (const kind of before)
      if (!mutedByHost.includes(kind))
        this.page.notice(`A host allowed you to turn on your ${what(kind)}.`);
  }

  /** A host asks this person to unmute: they answer, and their microphone resumes if they accept. */
  unmuteRequested({ kind }: ServerEventOf<'media:unmuteRequested'>): void {
    this.page.run(this.answer(kind));
  }

  unmuteAnswered({ participantId, kind, accepted }: ServerEventOf<'media:unmuteAnswered'>): void {
    const name = this.store.nameOf(participantId);
    this.page.notice(
      accepted
        ? `${name} turned on their ${what(kind)}.`
        : `${name} declined to turn on their ${what(kind)}.`,
    );
  }

  private async answer(kind: MediaKind): Promise<void> {
    const accept = await this.page.confirm(
      kind === 'audio' ? 'Unmute your microphone?' : 'Turn on your camera?',
      `A host asks you to turn on your ${what(kind)}.`,
      kind === 'audio' ? 'Unmute' : 'Turn on',
    );
    await this.page.request('media:answerUnmute', { kind, accept });
    if (accept) await this.media.unmute(kind);
  }
}
