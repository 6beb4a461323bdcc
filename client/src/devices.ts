import type { MediaKind } from '../../src/protocol/events.js';
import type { DeviceLists, LocalMedia } from './local-media.js';
import type { MediaController } from './media-controller.js';
import type { ToastOptions } from './ui/feedback.js';

/** What the device controller needs from the page around it. */
export interface DevicesHost {
  notice(text: string, options?: ToastOptions): void;
  /** The devices, the ones in use or a problem changed: re-render what shows them. */
  changed(): void;
  /** Runs a background task whose failure the page reports. */
  run(task: Promise<unknown>): void;
  /** Plays the meeting's sound on this output device (`HTMLMediaElement.setSinkId`). */
  setSpeaker(deviceId: string): Promise<void>;
  openSettings(): void;
}

const WHAT: Record<MediaKind, string> = { video: 'camera', audio: 'microphone' };

/**
 * Devices during the call: switching camera, microphone or speaker without leaving (the
 * producer's track is replaced, the transport stays), falling back to another device when the
 * one in use stops (unplugged), and trying again a device that could not be started.
 */
export class Devices {
  lists: DeviceLists = { video: [], audio: [], speaker: [] };
  /** Empty: the system's default output. */
  speakerId = '';
  readonly canChooseSpeaker = 'setSinkId' in HTMLMediaElement.prototype;
  /** Kinds being (re)started now: their controls wait. */
  readonly busy = new Set<MediaKind>();
  private watching = false;

  constructor(
    private readonly local: LocalMedia,
    private readonly media: Pick<MediaController, 'sendTrack' | 'stopSending'>,
    private readonly host: DevicesHost,
  ) {
    local.onEnded = (kind, track) => host.run(this.fallBack(kind, track));
  }

  /** In the room: lists the devices, watches them come and go, and says what is not working. */
  async enter(): Promise<void> {
    if (!this.watching) {
      this.watching = true;
      navigator.mediaDevices.addEventListener('devicechange', () =>
        this.host.run(this.devicesChanged()),
      );
    }
    await this.refresh();
    for (const kind of ['video', 'audio'] as const) {
      const problem = this.local.problem(kind);
      if (problem)
        this.host.notice(problem, {
          tone: 'error',
          action: { label: 'Open settings', run: () => this.host.openSettings() },
        });
    }
  }

  /** Why `kind` is not working, in words; undefined when it works. */
  problem(kind: MediaKind): string | undefined {
    return this.local.problem(kind);
  }

  /** The device in use (or chosen) for `kind`. */
  current(kind: MediaKind): string | undefined {
    return this.local.deviceId(kind);
  }

  /** The person chose another device for `kind`. */
  async choose(kind: MediaKind, deviceId: string): Promise<void> {
    if (this.local.track(kind) && deviceId === this.local.deviceId(kind)) return;
    const ok = await this.start(kind, deviceId);
    if (!ok && this.local.track(kind))
      this.host.notice(
        `Could not switch the ${WHAT[kind]}: ${this.local.failureText(kind) ?? ''} The one in use stays on.`,
        { tone: 'error' },
      );
  }

  /** "Try again": the chosen device first, then any device of this kind. */
  async retry(kind: MediaKind): Promise<void> {
    const chosen = this.local.deviceId(kind);
    const ok =
      (await this.start(kind, chosen)) || (chosen !== undefined && (await this.start(kind)));
    if (ok) this.host.notice(`Your ${WHAT[kind]} is working now.`);
  }

  async chooseSpeaker(deviceId: string): Promise<void> {
    try {
      await this.host.setSpeaker(deviceId);
      this.speakerId = deviceId;
    } catch {
      this.host.notice('That speaker could not be used. The meeting sound stays where it was.', {
        tone: 'error',
      });
    }
    this.host.changed();
  }

  /** Starts `kind` on a device (any, when none is given) and sends it; whether it worked. */
  private async start(kind: MediaKind, deviceId?: string): Promise<boolean> {
    this.busy.add(kind);
    this.host.changed();
    try {
      const track = await this.local.switchTo(kind, deviceId);
      if (track) await this.media.sendTrack(kind, track);
      return track !== undefined;
    } finally {
      this.busy.delete(kind);
      await this.refresh();
    }
  }

  /** The device in use stopped: another one of the same kind takes over, or the kind stops. */
  private async fallBack(kind: MediaKind, dead: MediaStreamTrack): Promise<void> {
    const deadId = dead.getSettings().deviceId;
    const name = dead.label || `your ${WHAT[kind]}`;
    this.local.lost(kind, dead);
    this.host.changed();
    const candidates = (await this.local.devices())[kind].filter((d) => d.deviceId !== deadId);
    for (const device of candidates) {
      if (!(await this.start(kind, device.deviceId))) continue;
      this.host.notice(`${name} stopped working, so the meeting now uses ${device.label}.`);
      return;
    }
    await this.media.stopSending(kind);
    await this.refresh();
    this.host.notice(
      `${name} stopped working and no other ${WHAT[kind]} could be started. Plug one in, then choose Try again in Settings.`,
      { tone: 'error', action: { label: 'Open settings', run: () => this.host.openSettings() } },
    );
  }

  /** Something was plugged in or out: update the lists; a missing device that appeared starts. */
  private async devicesChanged(): Promise<void> {
    await this.refresh();
    for (const kind of ['video', 'audio'] as const) {
      const track = this.local.track(kind);
      if (track?.readyState === 'ended') await this.fallBack(kind, track);
      else if (this.local.missing(kind) && this.lists[kind].length > 0 && !this.busy.has(kind))
        await this.retry(kind);
    }
  }

  private async refresh(): Promise<void> {
    this.lists = await this.local.devices();
    this.host.changed();
  }
}
