import { MEDIA_KINDS, type MediaKind } from '../../../src/protocol/events.js';
import { h, icon } from './dom.js';
import type { RoomModel } from './model.js';
import { presentPeople } from './model.js';

import type { VideoGrid } from './video-grid.js';

export type PanelName = 'chat' | 'people' | 'settings';

export interface RoomActions {
  toggleMedia(kind: MediaKind): void;
  toggleShare(): void;
  /** Whether this person shares their screen now. */
  sharing(): boolean;
  /** Why this person may not share their screen, or undefined. */
  shareRefusal(): string | undefined;
  togglePanel(panel: PanelName): void;
  leave(): void;
}

/**
 * A control that cannot turn on while a host muted it hard: it stays focusable (a click says
 * why) and says why on its face, in its name and its tooltip.
 */
function mutedByHost(button: HTMLButtonElement, kind: MediaKind): void {
  const label = kind === 'audio' ? 'Muted by host' : 'Off by host';
  // The name starts with the visible label (WCAG 2.5.3, label in name).
  const text =
    kind === 'audio'
      ? `${label}. You can unmute when a host allows it.`
      : `${label}. You can turn your camera on when a host allows it.`;
  button.querySelector('.control-label')?.replaceChildren(label);
  button.setAttribute('aria-label', text);
  button.setAttribute('aria-disabled', 'true');
  button.title = text;
}

/** The in-room layout: header with connection state, the stage, a side panel and the control bar. */
export class RoomView {
  readonly root: HTMLElement;
  private readonly connectionBanner = h('div', {
    class: 'connection-banner',
    role: 'status',
    'aria-live': 'polite',
  });
  private readonly count = h('span', { class: 'muted' });
  private readonly heading = h('h1', { class: 'room-name', tabindex: '-1' });
  private readonly side = h('aside', { class: 'side', 'aria-label': 'Side panel' });
  /** Where the page puts its notices while the room shows: a strip of their own, above the videos. */
  private readonly notices = h('div', { class: 'room-notices', 'data-notices': '' });
  private readonly mediaButtons: Record<MediaKind, HTMLButtonElement>;
  private readonly shareButton = h('button', {
    type: 'button',
    class: 'control',
    onclick: () => this.actions.toggleShare(),
  });
  private readonly panelButtons: Record<PanelName, HTMLButtonElement>;
  private readonly badges: Record<PanelName, HTMLElement> = {
    chat: h('span', { class: 'unread', 'aria-hidden': 'true', hidden: true }),
    people: h('span', { class: 'unread', 'aria-hidden': 'true', hidden: true }),
    settings: h('span', { class: 'unread', 'aria-hidden': 'true', hidden: true }, '!'),
  };
  panel: PanelName | null = null;

  constructor(
    private readonly model: RoomModel,
    grid: VideoGrid,
    private readonly panels: Record<PanelName, HTMLElement>,
    private readonly actions: RoomActions,
  ) {
    const mediaButton = (kind: MediaKind) =>
      h('button', {
        type: 'button',
        class: 'control',
        onclick: () => this.actions.toggleMedia(kind),
      });
    this.mediaButtons = { audio: mediaButton('audio'), video: mediaButton('video') };
    const panelButton = (panel: PanelName, label: string) =>
      h(
        'button',
        {
          type: 'button',
          class: 'control',
          'aria-expanded': 'false',
          'aria-controls': `${panel}-panel`,
          onclick: () => this.actions.togglePanel(panel),
        },
        icon(panel),
        h('span', { class: 'control-label' }, label),
        this.badges[panel],
      );
    this.panelButtons = {
      chat: panelButton('chat', 'Chat'),
      people: panelButton('people', 'People'),
      settings: panelButton('settings', 'Settings'),
    };
    // Escape closes the open panel and gives focus back to its button.
    this.side.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || !this.panel || event.defaultPrevented) return;
      event.preventDefault();
      this.actions.togglePanel(this.panel);
    });
    panels.chat.id = 'chat-panel';
    panels.people.id = 'people-panel';
    panels.settings.id = 'settings-panel';

    this.root = h(
      'div',
      { class: 'room' },
      h(
        'header',
        { class: 'room-header' },
        h('span', { class: 'brand', 'aria-hidden': 'true' }, 'convene'),
        this.heading,
        this.count,
        this.connectionBanner,
      ),
      this.notices,
      h('main', { class: 'room-main' }, grid.root, this.side),
      h(
        'footer',
        { class: 'controls', 'aria-label': 'Meeting controls' },
        h(
          'div',
          { class: 'control-group' },
          this.mediaButtons.audio,
          this.mediaButtons.video,
          this.shareButton,
        ),
        h(
          'div',
          { class: 'control-group' },
          this.panelButtons.chat,
          this.panelButtons.people,
          this.panelButtons.settings,
        ),
        h(
          'button',
          { type: 'button', class: 'control control-leave', onclick: () => this.actions.leave() },
          icon('leave'),
          h('span', { class: 'control-label' }, 'Leave'),
        ),
      ),
    );
  }

  render(): void {
    this.heading.textContent = this.model.roomName || 'Meeting';
    const n = presentPeople(this.model).length;
    this.count.textContent = `${n} ${n === 1 ? 'person' : 'people'}`;
    const self = this.model.people.get(this.model.selfId);
    for (const kind of MEDIA_KINDS) {
      const state = self?.media[kind] ?? 'none';
      const on = state === 'on';
      const what = kind === 'audio' ? 'microphone' : 'camera';
      const button = this.mediaButtons[kind];
      const label = kind === 'audio' ? (on ? 'Mute' : 'Unmute') : on ? 'Stop video' : 'Start video';
      button.replaceChildren(
        icon(kind === 'audio' ? (on ? 'mic' : 'micOff') : on ? 'cam' : 'camOff'),
        h('span', { class: 'control-label' }, label),
      );
      // The name starts with the visible label (WCAG 2.5.3: "click Mute" works by voice).
      button.setAttribute('aria-label', `${label}, turn ${on ? 'off' : 'on'} ${what}`);
      button.setAttribute('aria-pressed', String(!on));
      button.classList.toggle('is-off', !on);
      button.disabled = state === 'none';
      button.title =
        state === 'none' ? `No ${what} available` : (button.getAttribute('aria-label') ?? '');
      if (!on && self?.mutedByHost.includes(kind)) mutedByHost(button, kind);
      else button.removeAttribute('aria-disabled');
    }
    this.renderShare();
    this.badges.people.hidden = !(this.model.isHost && this.model.lobby.length > 0);
    this.badges.people.textContent = String(this.model.lobby.length);
  }

  /**
   * Share screen / Stop sharing. Where sharing is not allowed it stays focusable and says why (a
   * click says it too); where the browser cannot share a screen (phones) it is not shown.
   */
  private renderShare(): void {
    const button = this.shareButton;
    button.hidden = typeof navigator.mediaDevices?.getDisplayMedia !== 'function';
    const sharing = this.actions.sharing();
    const label = sharing ? 'Stop sharing' : 'Share screen';
    button.replaceChildren(icon('screen'), h('span', { class: 'control-label' }, label));
    button.setAttribute('aria-pressed', String(sharing));
    button.classList.toggle('is-active', sharing);
    const refusal = sharing ? undefined : this.actions.shareRefusal();
    const text = refusal
      ? `${label}: not available. ${refusal}.`
      : sharing
        ? `${label}, others see your screen`
        : `${label}, show a screen or window to everyone`;
    button.setAttribute('aria-label', text);
    button.title = text;
    if (refusal) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
  }

  setChatUnread(unread: number): void {
    this.badges.chat.hidden = unread === 0 || this.panel === 'chat';
    this.badges.chat.textContent = String(unread);
    this.panelButtons.chat.setAttribute(
      'aria-label',
      unread && this.panel !== 'chat' ? `Chat, ${unread} unread` : 'Chat',
    );
  }

  /** A device is not working: the Settings button says so until it works again. */
  setDeviceProblems(count: number): void {
    this.badges.settings.hidden = count === 0;
    this.panelButtons.settings.setAttribute(
      'aria-label',
      count === 0
        ? 'Settings'
        : `Settings, ${count === 1 ? 'a device is' : 'devices are'} not working`,
    );
  }

  showPanel(panel: PanelName | null): void {
    this.panel = panel;
    this.side.replaceChildren(...(panel ? [this.panels[panel]] : []));
    this.root.classList.toggle('has-panel', panel !== null);
    for (const name of ['chat', 'people', 'settings'] as const) {
      this.panelButtons[name].setAttribute('aria-expanded', String(panel === name));
      this.panelButtons[name].classList.toggle('is-active', panel === name);
    }
  }

  focusHeading(): void {
    this.heading.focus();
  }

  focusPanelButton(panel: PanelName): void {
    this.panelButtons[panel].focus();
  }

  setConnection(state: 'ok' | 'reconnecting'): void {
    this.root.classList.toggle('is-reconnecting', state === 'reconnecting');
    this.connectionBanner.replaceChildren(
      ...(state === 'reconnecting'
        ? [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Connection lost. Reconnecting…']
        : []),
    );
  }
}
