import type { MediaKind } from '../../src/protocol/events.js';
import { describeDeviceError } from './errors.js';

const errorName = (error: unknown) => (error instanceof DOMException ? error.name : 'Error');

export interface DeviceChoice {
  deviceId: string;
  label: string;
}

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

  track(kind: MediaKind): MediaStreamTrack | undefined {
    return kind === 'audio' ? this.stream.getAudioTracks()[0] : this.stream.getVideoTracks()[0];
  }

  deviceId(kind: MediaKind): string | undefined {
    return this.chosen[kind] ?? this.track(kind)?.getSettings().deviceId;
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

  /** Whether the browser (or the person) refused this device. */
  blocked(kind: MediaKind): boolean {
    const name = errorName(this.failures[kind]);
    return name === 'NotAllowedError' || name === 'SecurityError';
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

  async devices(): Promise<Record<MediaKind, DeviceChoice[]>> {
    const all = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind: MediaDeviceKind) =>
      all
        .filter((d) => d.kind === kind && d.deviceId !== '')
        .map((d, i) => ({
          deviceId: d.deviceId,
          label: d.label || (kind === 'videoinput' ? `Camera ${i + 1}` : `Microphone ${i + 1}`),
        }));
    return { video: pick('videoinput'), audio: pick('audioinput') };
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
  }
}
