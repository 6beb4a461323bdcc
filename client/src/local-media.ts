import type { MediaKind } from '../../src/protocol/events.js';
import { describeDeviceError, describeDeviceProblem } from './errors.js';

const errorName = (error: unknown) => (error instanceof DOMException ? error.name : 'Error');

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

/** What can be chosen: cameras, microphones and (where the browser lets a page choose) speakers. */
export type DeviceLists = Record<MediaKind | 'speaker', DeviceChoice[]>;

const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};

/**
 * This person's camera and microphone: one track of each at most, chosen by device id. A device
 * that fails leaves the other working; the failure is kept for the UI to put in words.
 */
export class LocalMedia {
  readonly stream = new MediaStream();
  private readonly failures: Partial<Record<MediaKind, unknown>> = {};
  private readonly chosen: Partial<Record<MediaKind, string>> = {};
  /** The active track of a kind ended by itself (device unplugged, taken away by the system). */
  onEnded: (kind: MediaKind, track: MediaStreamTrack) => void = () => undefined;

  track(kind: MediaKind): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  deviceId(kind: MediaKind): string | undefined {
    return this.track(kind)?.getSettings().deviceId ?? this.chosen[kind];
  }

  /** Starts both devices (one request, so the browser asks once), falling back to each alone. */
  async start(): Promise<void> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: VIDEO_CONSTRAINTS,
      });
      for (const track of stream.getTracks()) this.adopt(track.kind as MediaKind, track);
    } catch {
      await Promise.all([this.switchTo('audio'), this.switchTo('video')]);
    }
  }

  /** Starts (or restarts) one kind on the given device; returns the new track, if any. */
  async switchTo(kind: MediaKind, deviceId?: string): Promise<MediaStreamTrack | undefined> {
    const base: MediaTrackConstraints = kind === 'video' ? { ...VIDEO_CONSTRAINTS } : {};
    if (deviceId) base.deviceId = { exact: deviceId };
    try {
      const stream = await navigator.mediaDevices.getUserMedia(
        kind === 'video' ? { video: base } : { audio: base },
      );
      const track = kind === 'video' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
      if (track) this.adopt(kind, track);
      if (deviceId) this.chosen[kind] = deviceId;
      return track;
    } catch (error) {
      this.failures[kind] = error ?? new Error('getUserMedia failed');
      return undefined;
    }
  }

  /** The active track of `kind` is gone (ended): drop it; it counts as a failure until replaced. */
  lost(kind: MediaKind, track: MediaStreamTrack): void {
    track.stop();
    this.stream.removeTrack(track);
    this.failures[kind] ??= new DOMException('The device stopped', 'NotFoundError');
  }

  /** Whether the browser (or the person) refused this device. */
  blocked(kind: MediaKind): boolean {
    const name = errorName(this.failures[kind]);
    return name === 'NotAllowedError' || name === 'SecurityError';
  }

  /** Why this kind is not working now, in words for the room; undefined when it works. */
  problem(kind: MediaKind): string | undefined {
    return this.track(kind) ? undefined : this.failureText(kind);
  }

  /** The last failure of this kind in words (a failed switch leaves the old device working). */
  failureText(kind: MediaKind): string | undefined {
    const failure = this.failures[kind];
    return failure === undefined ? undefined : describeDeviceProblem(failure, kind);
  }

  /** Whether this kind failed because no device was there (plugging one in may fix it). */
  missing(kind: MediaKind): boolean {
    const name = errorName(this.failures[kind]);
    return !this.track(kind) && (name === 'NotFoundError' || name === 'OverconstrainedError');
  }

  /** What went wrong, in words: one notice when both devices failed for the same reason. */
  problems(): string[] {
    const { audio, video } = this.failures;
    if (audio !== undefined && video !== undefined && errorName(audio) === errorName(video))
      return [describeDeviceError(video, 'camera and microphone')];
    const messages: string[] = [];
    if (video !== undefined) messages.push(describeDeviceError(video, 'camera'));
    if (audio !== undefined) messages.push(describeDeviceError(audio, 'microphone'));
    return messages;
  }

  async devices(): Promise<DeviceLists> {
    const all = await navigator.mediaDevices.enumerateDevices();
    const names: Record<MediaDeviceKind, string> = {
      videoinput: 'Camera',
      audioinput: 'Microphone',
      audiooutput: 'Speaker',
    };
    const pick = (kind: MediaDeviceKind) =>
      all
        .filter((d) => d.kind === kind && d.deviceId !== '')
        .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${names[kind]} ${i + 1}` }));
    return { video: pick('videoinput'), audio: pick('audioinput'), speaker: pick('audiooutput') };
  }

  stop(): void {
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
  }

  private adopt(kind: MediaKind, track: MediaStreamTrack): void {
    const old = this.track(kind);
    if (old && old !== track) {
      old.stop();
      this.stream.removeTrack(old);
    }
    this.stream.addTrack(track);
    delete this.failures[kind];
    track.addEventListener('ended', () => {
      if (this.track(kind) === track) this.onEnded(kind, track);
    });
  }
}
