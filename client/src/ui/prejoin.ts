import { MEDIA_KINDS, type MediaKind, type Role } from '../../../src/protocol/events.js';
import type { LocalMedia } from '../local-media.js';
import { h, icon, initials } from './dom.js';

export interface PreJoinActions {
  join(options: { audio: boolean; video: boolean }): void;
}

export interface PreJoinInfo {
  displayName: string;
  role: Role;
}

/** Camera preview, device choice and the join button. */
export class PreJoinView {
  readonly root: HTMLElement;
  private readonly preview: HTMLVideoElement;
  private readonly placeholder: HTMLElement;
  private readonly problems: HTMLElement;
  private readonly status: HTMLElement;
  private readonly joinButton: HTMLButtonElement;
  private readonly selects: Record<MediaKind, HTMLSelectElement>;
  private readonly toggles: Record<MediaKind, HTMLButtonElement>;
  private readonly enabled: Record<MediaKind, boolean> = { audio: true, video: true };

  constructor(
    private readonly info: PreJoinInfo,
    private readonly media: LocalMedia,
    private readonly actions: PreJoinActions,
  ) {
    this.preview = h('video', {
      class: 'prejoin-video mirrored',
      autoplay: true,
      muted: true,
      playsinline: true,
      'aria-label': 'Your camera preview',
    });
    this.preview.muted = true;
    this.placeholder = h(
      'div',
      { class: 'avatar avatar-large', 'aria-hidden': 'true' },
      initials(info.displayName),
    );
    this.problems = h('div', { class: 'notice-list', role: 'alert' });
    this.status = h(
      'p',
      { class: 'muted', role: 'status' },
      'Starting your camera and microphone…',
    );
    this.selects = {
      video: h('select', {
        id: 'camera-select',
        disabled: true,
        onchange: () => void this.choose('video'),
      }),
      audio: h('select', {
        id: 'mic-select',
        disabled: true,
        onchange: () => void this.choose('audio'),
      }),
    };
    this.toggles = {
      audio: h('button', {
        type: 'button',
        class: 'round-button',
        onclick: () => this.toggle('audio'),
      }),
      video: h('button', {
        type: 'button',
        class: 'round-button',
        onclick: () => this.toggle('video'),
      }),
    };
    this.joinButton = h(
      'button',
      { type: 'button', class: 'primary-button', onclick: () => this.submit() },
      'Join meeting',
    );

    this.root = h(
      'main',
      { class: 'prejoin', 'aria-labelledby': 'prejoin-title' },
      h(
        'section',
        { class: 'prejoin-card' },
        h(
          'div',
          { class: 'prejoin-stage' },
          h('div', { class: 'preview-frame' }, this.placeholder, this.preview),
          h('div', { class: 'preview-controls' }, this.toggles.audio, this.toggles.video),
        ),
        h(
          'div',
          { class: 'prejoin-form' },
          h('p', { class: 'brand' }, 'convene'),
          h('h1', { id: 'prejoin-title' }, 'Ready to join?'),
          h(
            'p',
            { class: 'joining-as' },
            'You will join as ',
            h('strong', {}, info.displayName),
            info.role === 'host' ? h('span', { class: 'badge' }, 'Host') : null,
            info.role === 'guest' ? h('span', { class: 'badge badge-muted' }, 'Guest') : null,
          ),
          h(
            'div',
            { class: 'field' },
            h('label', { for: 'camera-select' }, 'Camera'),
            this.selects.video,
          ),
          h(
            'div',
            { class: 'field' },
            h('label', { for: 'mic-select' }, 'Microphone'),
            this.selects.audio,
          ),
          this.problems,
          this.status,
          this.joinButton,
        ),
      ),
    );
    this.renderToggles();
  }

  /** Starts the devices and fills the selects. */
  async load(): Promise<void> {
    await this.media.start();
    this.preview.srcObject = this.media.stream;
    await this.fillDevices();
    this.renderToggles();
    this.renderProblems();
    this.status.textContent =
      this.media.track('video') || this.media.track('audio')
        ? 'Check how you look and sound, then join.'
        : '';
  }

  setBusy(text: string): void {
    this.joinButton.disabled = true;
    this.joinButton.textContent = text;
  }

  /** Shows why joining failed and lets the person try again. */
  showError(message: string, canRetry: boolean): void {
    this.joinButton.disabled = !canRetry;
    this.joinButton.textContent = canRetry ? 'Try again' : 'Join meeting';
    this.problems.replaceChildren(h('p', { class: 'notice notice-error' }, message));
  }

  focus(): void {
    this.joinButton.focus();
  }

  private submit(): void {
    this.actions.join({ audio: this.enabled.audio, video: this.enabled.video });
  }

  private async fillDevices(): Promise<void> {
    const devices = await this.media.devices();
    for (const kind of ['video', 'audio'] as const) {
      const select = this.selects[kind];
      const current = this.media.deviceId(kind);
      select.replaceChildren(
        ...devices[kind].map((d) =>
          h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label),
        ),
      );
      // A blocked browser lists no devices: say blocked, not "none found".
      const none = this.media.blocked(kind)
        ? 'Blocked by your browser'
        : kind === 'video'
          ? 'No camera found'
          : 'No microphone found';
      if (devices[kind].length === 0) select.append(h('option', { value: '' }, none));
      select.disabled = devices[kind].length === 0;
    }
  }

  private async choose(kind: MediaKind): Promise<void> {
    await this.media.switchTo(kind, this.selects[kind].value);
    this.preview.srcObject = this.media.stream;
    this.renderToggles();
    this.renderProblems();
  }

  private toggle(kind: MediaKind): void {
    this.enabled[kind] = !this.enabled[kind];
    const track = this.media.track(kind);
    if (track) track.enabled = this.enabled[kind];
    this.renderToggles();
  }

  private renderToggles(): void {
    for (const kind of MEDIA_KINDS) {
      const available = this.media.track(kind) !== undefined;
      const on = this.enabled[kind] && available;
      const button = this.toggles[kind];
      const what = kind === 'audio' ? 'microphone' : 'camera';
      button.replaceChildren(
        icon(kind === 'audio' ? (on ? 'mic' : 'micOff') : on ? 'cam' : 'camOff'),
      );
      button.setAttribute('aria-label', `${on ? 'Turn off' : 'Turn on'} ${what}`);
      button.setAttribute('aria-pressed', String(!on));
      button.title = button.getAttribute('aria-label') ?? '';
      button.classList.toggle('is-off', !on);
      button.disabled = !available;
    }
    const showVideo = this.enabled.video && this.media.track('video') !== undefined;
    this.preview.hidden = !showVideo;
    this.placeholder.hidden = showVideo;
  }

  private renderProblems(): void {
    this.problems.replaceChildren(
      ...this.media.problems().map((m) => h('p', { class: 'notice notice-warning' }, m)),
    );
  }
}
