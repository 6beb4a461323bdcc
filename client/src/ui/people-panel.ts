import type { MediaKind } from '../../../src/protocol/events.js';
import { h, hueOf, icon, initials } from './dom.js';
import { presentPeople, type Person, raisedHands, type RoomModel } from './model.js';

export interface PeopleActions {
  message(participantId: string): void;
  mute(participantId: string, kind: MediaKind): void;
  hardMute(participantId: string, kind: MediaKind): void;
  allowUnmute(participantId: string, kind: MediaKind): void;
  askToUnmute(participantId: string, kind: MediaKind): void;
  muteAll(): void;
  toggleOwnHand(): void;
  lowerHand(participantId: string): void;
  remove(participantId: string): void;
  admit(participantId: string): void;
  reject(participantId: string): void;
  close(): void;
}

/** Who is here (with host actions) and, for hosts, who is waiting in the lobby. */
export class PeoplePanel {
  readonly root: HTMLElement;
  private readonly lobby = h('div', { class: 'lobby-section' });
  /** Raise hand for everyone; mute everyone for hosts. */
  private readonly toolbar = h('div', { class: 'people-toolbar' });
  private toolbarSignature = '';
  /** Raised hands, oldest first. */
  private readonly hands = h('div', { class: 'hands-section' });
  private handsSignature = '';
  private readonly list = h('ul', { class: 'people-list', 'aria-labelledby': 'people-heading' });
  private readonly heading = h('h3', { id: 'people-heading', class: 'section-title' });
  private lobbySignature = '';
  /** participantId -> its row and what it was rendered from. */
  private readonly rows = new Map<string, { signature: string; el: HTMLElement }>();

  constructor(
    private readonly model: RoomModel,
    private readonly actions: PeopleActions,
  ) {
    this.root = h(
      'section',
      { class: 'panel people-panel', 'aria-labelledby': 'people-title' },
      h(
        'header',
        { class: 'panel-header' },
        h('h2', { id: 'people-title', tabindex: '-1' }, 'People'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': 'Close people',
            onclick: () => this.actions.close(),
          },
          icon('close'),
        ),
      ),
      h(
        'div',
        { class: 'panel-body' },
        this.toolbar,
        this.lobby,
        this.hands,
        this.heading,
        this.list,
      ),
    );
  }

  focusHeading(): void {
    this.root.querySelector<HTMLElement>('#people-title')?.focus();
  }

  /**
   * Re-creates only what changed: re-creating the focused button moves focus, and screen readers
   * then say it again (the room re-renders on every active-speaker change).
   */
  render(): void {
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset.focusKey;
    const lobby = JSON.stringify([this.model.isHost, this.model.lobby]);
    if (lobby !== this.lobbySignature) {
      this.lobbySignature = lobby;
      this.renderLobby();
    }
    const self = this.model.people.get(this.model.selfId);
    const toolbar = JSON.stringify([this.model.isHost, self?.handRaisedAt ?? null]);
    if (toolbar !== this.toolbarSignature) {
      this.toolbarSignature = toolbar;
      this.renderToolbar(self?.handRaisedAt != null);
    }
    const hands = raisedHands(this.model);
    const handsKey = JSON.stringify([
      this.model.isHost,
      hands.map((p) => [p.participantId, p.displayName, p.isSelf]),
    ]);
    if (handsKey !== this.handsSignature) {
      this.handsSignature = handsKey;
      this.renderHands(hands);
    }
    const people = presentPeople(this.model);
    this.heading.textContent = `In the meeting (${people.length})`;
    const wanted = people.map((p) => {
      const signature = JSON.stringify([
        this.model.isHost,
        p.displayName,
        p.role,
        p.isSelf,
        p.media,
        p.handRaisedAt,
        p.mutedByHost,
      ]);
      let row = this.rows.get(p.participantId);
      if (row?.signature !== signature) {
        row = { signature, el: this.row(p) };
        this.rows.set(p.participantId, row);
      }
      return row.el;
    });
    const keep = new Set(wanted);
    for (const [id, row] of this.rows)
      if (!keep.has(row.el)) {
        row.el.remove();
        this.rows.delete(id);
      }
    for (const el of [...this.list.children]) if (!keep.has(el as HTMLElement)) el.remove();
    wanted.forEach((el, i) => {
      if (this.list.children[i] !== el) this.list.insertBefore(el, this.list.children[i] ?? null);
    });
    for (const el of wanted)
      el.classList.toggle('is-speaking', el.dataset.participantId === this.model.speakerId);
    if (focusKey && !this.root.contains(document.activeElement))
      this.root.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
  }

  private renderToolbar(handUp: boolean): void {
    this.toolbar.replaceChildren(
      h(
        'button',
        {
          type: 'button',
          class: `small-button${handUp ? ' primary' : ''}`,
          'aria-pressed': String(handUp),
          'data-focus-key': 'own-hand',
          onclick: () => this.actions.toggleOwnHand(),
        },
        icon('hand', 'icon icon-small'),
        handUp ? 'Lower your hand' : 'Raise your hand',
      ),
      ...(this.model.isHost
        ? [
            h(
              'button',
              {
                type: 'button',
                class: 'small-button',
                'data-focus-key': 'mute-all',
                onclick: () => this.actions.muteAll(),
              },
              icon('micOff', 'icon icon-small'),
              'Mute everyone',
            ),
          ]
        : []),
    );
  }

  /** The queue of raised hands, oldest first; hosts can lower each. */
  private renderHands(hands: Person[]): void {
    if (hands.length === 0) {
      this.hands.replaceChildren();
      return;
    }
    this.hands.replaceChildren(
      h('h3', { class: 'section-title', id: 'hands-heading' }, `Raised hands (${hands.length})`),
      h(
        'ol',
        { class: 'people-list hands-list', 'aria-labelledby': 'hands-heading' },
        ...hands.map((p) =>
          h(
            'li',
            { class: 'person', 'data-hand-id': p.participantId },
            icon('hand', 'icon icon-small hand-icon'),
            h(
              'span',
              { class: 'person-name' },
              p.displayName,
              p.isSelf ? h('span', { class: 'muted' }, ' (you)') : null,
            ),
            this.model.isHost
              ? h(
                  'span',
                  { class: 'person-actions' },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'small-button',
                      'data-focus-key': `lower-hand:${p.participantId}`,
                      onclick: () => this.actions.lowerHand(p.participantId),
                    },
                    'Lower hand',
                    h('span', { class: 'visually-hidden' }, ` of ${p.displayName}`),
                  ),
                )
              : null,
          ),
        ),
      ),
    );
  }

  private renderLobby(): void {
    if (!this.model.isHost || this.model.lobby.length === 0) {
      this.lobby.replaceChildren();
      return;
    }
    this.lobby.replaceChildren(
      h('h3', { class: 'section-title' }, `Waiting to join (${this.model.lobby.length})`),
      h(
        'ul',
        { class: 'people-list lobby-list' },
        ...this.model.lobby.map((w) =>
          h(
            'li',
            { class: 'person', 'data-lobby-id': w.participantId },
            h(
              'span',
              { class: 'avatar avatar-small', 'aria-hidden': 'true' },
              initials(w.displayName),
            ),
            h('span', { class: 'person-name' }, w.displayName),
            h(
              'span',
              { class: 'person-actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'small-button primary',
                  'data-focus-key': `admit:${w.participantId}`,
                  onclick: () => this.actions.admit(w.participantId),
                },
                'Admit',
                h('span', { class: 'visually-hidden' }, ` ${w.displayName}`),
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'small-button',
                  'data-focus-key': `reject:${w.participantId}`,
                  onclick: () => this.actions.reject(w.participantId),
                },
                'Reject',
                h('span', { class: 'visually-hidden' }, ` ${w.displayName}`),
              ),
            ),
          ),
        ),
      ),
    );
  }

  private row(person: Person): HTMLElement {
    const avatar = h(
      'span',
      { class: 'avatar avatar-small', 'aria-hidden': 'true' },
      initials(person.displayName),
    );
    avatar.style.setProperty('--hue', String(hueOf(person.participantId)));
    const micOn = person.media.audio === 'on';
    const camOn = person.media.video === 'on';
    const id = person.participantId;
    const actions: HTMLElement[] = [];
    if (!person.isSelf) {
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small-button',
            'data-focus-key': `message:${id}`,
            onclick: () => this.actions.message(id),
          },
          icon('lock', 'icon icon-small'),
          'Message',
          h('span', { class: 'visually-hidden' }, ` ${person.displayName} privately`),
        ),
      );
      if (this.model.isHost) {
        actions.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small-button',
              disabled: !micOn,
              'data-focus-key': `mute:${id}`,
              onclick: () => this.actions.mute(id, 'audio'),
            },
            'Mute',
            h('span', { class: 'visually-hidden' }, ` ${person.displayName}`),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'small-button',
              disabled: !camOn,
              'data-focus-key': `video:${id}`,
              onclick: () => this.actions.mute(id, 'video'),
            },
            'Stop video',
            h('span', { class: 'visually-hidden' }, ` of ${person.displayName}`),
          ),
          person.mutedByHost.includes('audio')
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'small-button',
                  'data-focus-key': `allow:${id}`,
                  onclick: () => this.actions.allowUnmute(id, 'audio'),
                },
                'Allow unmute',
                h('span', { class: 'visually-hidden' }, ` for ${person.displayName}`),
              )
            : h(
                'button',
                {
                  type: 'button',
                  class: 'small-button',
                  'data-focus-key': `hard-mute:${id}`,
                  onclick: () => this.actions.hardMute(id, 'audio'),
                },
                'Hard mute',
                h('span', { class: 'visually-hidden' }, ` ${person.displayName}`),
              ),
          ...(person.media.audio === 'off'
            ? [
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small-button',
                    'data-focus-key': `ask:${id}`,
                    onclick: () => this.actions.askToUnmute(id, 'audio'),
                  },
                  'Ask to unmute',
                  h('span', { class: 'visually-hidden' }, ` ${person.displayName}`),
                ),
              ]
            : []),
          h(
            'button',
            {
              type: 'button',
              class: 'small-button danger',
              'data-focus-key': `remove:${id}`,
              onclick: () => this.actions.remove(id),
            },
            'Remove',
            h('span', { class: 'visually-hidden' }, ` ${person.displayName}`),
          ),
        );
      }
    }
    return h(
      'li',
      {
        class: `person${this.model.speakerId === id ? ' is-speaking' : ''}`,
        'data-participant-id': id,
      },
      avatar,
      h(
        'span',
        { class: 'person-name' },
        person.displayName,
        person.isSelf ? h('span', { class: 'muted' }, ' (you)') : null,
        person.role === 'host' ? h('span', { class: 'badge' }, 'Host') : null,
        person.role === 'guest' ? h('span', { class: 'badge badge-muted' }, 'Guest') : null,
        person.mutedByHost.includes('audio')
          ? h('span', { class: 'badge badge-muted' }, 'Muted by host')
          : null,
      ),
      h(
        'span',
        { class: 'person-state' },
        person.handRaisedAt !== null
          ? h(
              'span',
              { class: 'hand-up', role: 'img', 'aria-label': 'hand raised' },
              icon('hand', 'icon icon-small'),
            )
          : null,
        h(
          'span',
          {
            class: micOn ? '' : 'is-off',
            role: 'img',
            'aria-label': micOn ? 'microphone on' : 'microphone off',
          },
          icon(micOn ? 'mic' : 'micOff', 'icon icon-small'),
        ),
        h(
          'span',
          {
            class: camOn ? '' : 'is-off',
            role: 'img',
            'aria-label': camOn ? 'camera on' : 'camera off',
          },
          icon(camOn ? 'cam' : 'camOff', 'icon icon-small'),
        ),
      ),
      actions.length ? h('span', { class: 'person-actions' }, ...actions) : null,
    );
  }
}
