import type { MediaKind } from '../../../src/protocol/events.js';
import type { ChatController } from '../chat-controller.js';
import type { HostActions } from '../host-actions.js';
import type { RoomStore } from '../room-store.js';
import { ChatPanel } from './chat-panel.js';
import { PeoplePanel } from './people-panel.js';
import { type PanelName, RoomView } from './room-view.js';
import { type SettingsActions, SettingsPanel } from './settings-panel.js';
import type { Devices } from '../devices.js';
import type { VideoGrid } from './video-grid.js';

export interface RoomScreenActions {
  toggleMedia(kind: MediaKind): void;
  toggleShare(): void;
  sharing(): boolean;
  toggleOwnHand(): void;
  leave(): void;
  /** The Settings panel: the devices it shows, and what its controls do. */
  settings: { devices: Devices; actions: Omit<SettingsActions, 'close'> };
}

/** The room on screen: the layout, the video grid, and the chat and people panels beside it. */
export class RoomScreen {
  private readonly view: RoomView;
  private readonly chatPanel: ChatPanel;
  private readonly peoplePanel: PeoplePanel;
  private readonly settingsPanel: SettingsPanel;

  constructor(
    private readonly store: RoomStore,
    private readonly chat: ChatController,
    host: HostActions,
    private readonly grid: VideoGrid,
    private readonly localStream: MediaStream,
    actions: RoomScreenActions,
  ) {
    this.settingsPanel = new SettingsPanel(actions.settings.devices, {
      ...actions.settings.actions,
      close: () => this.togglePanel('settings'),
    });
    this.chatPanel = new ChatPanel(chat.state, store.model, {
      send: (text) => chat.send(text),
      retry: (id) => chat.retry(id),
      open: (key) => {
        chat.state.activate(key);
        this.renderChat();
      },
      openPrivate: (id) => this.openPrivate(id),
      close: () => this.togglePanel('chat'),
    });
    this.peoplePanel = new PeoplePanel(store.model, {
      message: (id) => this.openPrivate(id),
      mute: (id, kind) => host.mute(id, kind),
      hardMute: (id, kind) => host.hardMute(id, kind),
      allowUnmute: (id, kind) => host.allowUnmute(id, kind),
      askToUnmute: (id, kind) => host.askToUnmute(id, kind),
      muteAll: () => host.muteAll(),
      lowerHand: (id) => host.lowerHand(id),
      toggleOwnHand: () => actions.toggleOwnHand(),
      remove: (id) => host.remove(id),
      admit: (id) => host.admit(id),
      reject: (id) => host.reject(id),
      close: () => this.togglePanel('people'),
    });
    this.view = new RoomView(
      store.model,
      grid,
      {
        chat: this.chatPanel.root,
        people: this.peoplePanel.root,
        settings: this.settingsPanel.root,
      },
      {
        ...actions,
        togglePanel: (panel) => this.togglePanel(panel),
        shareRefusal: () => store.shareRefusal(),
      },
    );
  }

  get root(): HTMLElement {
    return this.view.root;
  }

  get chatOpen(): boolean {
    return this.view.panel === 'chat';
  }

  /** Shown for the first time: keyboard and screen reader users start at the top of the room. */
  focusHeading(): void {
    this.view.focusHeading();
  }

  setConnection(state: 'ok' | 'reconnecting'): void {
    this.view.setConnection(state);
  }

  /** Everything in the room, after the room store changed. */
  render(): void {
    this.grid.sync(this.store.present(), this.store.model.speakerId, this.localStream, {
      sharing: this.store.sharing(),
      isHost: this.store.isHost,
    });
    this.view.render();
    this.peoplePanel.render();
    this.chatPanel.render();
    this.view.setChatUnread(this.chat.unread());
    this.renderSettings();
  }

  /** The devices, after they changed. */
  renderSettings(): void {
    this.settingsPanel.render();
    this.view.setDeviceProblems(this.settingsPanel.problems());
  }

  /** Opens the Settings panel (a notice's action), unless it is open. */
  openSettings(): void {
    if (this.view.panel !== 'settings') this.togglePanel('settings');
  }

  /** The chat, after it changed; what the open conversation shows counts as read. */
  renderChat(): void {
    if (this.chatOpen) this.chat.state.activate(this.chat.state.active);
    this.chatPanel.render();
    this.view.setChatUnread(this.chat.unread());
  }

  openPrivate(participantId: string): void {
    this.chat.state.openPrivate(participantId);
    if (!this.chatOpen) this.togglePanel('chat');
    this.renderChat();
    this.chatPanel.focusInput();
  }

  private togglePanel(panel: PanelName): void {
    const next = this.view.panel === panel ? null : panel;
    this.view.showPanel(next);
    if (next === 'chat') {
      this.chat.state.activate(this.chat.state.active);
      this.renderChat();
      this.chatPanel.focusInput();
    } else if (next === 'people') {
      // The panel sits before the controls in the page: without this, Tab would go to Leave.
      this.peoplePanel.focusHeading();
    } else if (next === 'settings') {
      this.settingsPanel.focusHeading();
    } else {
      this.view.focusPanelButton(panel);
    }
    this.render();
  }
}
