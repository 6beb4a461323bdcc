import type { MediaKind } from '../../../src/protocol/events.js';
import { h, hueOf, icon, initials } from './dom.js';
import { presentPeople, type Person, type RoomModel } from './model.js';

export interface PeopleActions {
  message(participantId: string): void;
  mute(participantId: string, kind: MediaKind): void;
  remove(participantId: string): void;
  admit(participantId: string): void;
  reject(participantId: string): void;
  close(): void;
}

/** Who is here (with host actions) and, for hosts, who is waiting in the lobby. */
export class PeoplePanel {
  readonly root: HTMLElement;
  private readonly lobby = h('div', { class: 'lobby-section' });
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
      h('div', { class: 'panel-body' }, this.lobby, this.heading, this.list),
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
    const people = presentPeople(this.model);
    this.heading.textContent = `In the meeting (${people.length})`;
    const wanted = people.map((p) => {
      const signature = JSON.stringify([
        this.model.isHost,
        p.displayName,
        p.role,
        p.isSelf,
        p.media,
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
      ),
      h(
        'span',
        { class: 'person-state' },
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
