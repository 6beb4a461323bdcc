import { type ChildProcess, spawn } from 'node:child_process';
import { OPUS, type RtpTarget, VP8 } from './media.js';

const rtpUrl = (target: RtpTarget) =>
  `rtp://127.0.0.1:${target.port}?rtcpport=${target.rtcpPort ?? target.port}&pkt_size=1200`;

/**
 * Many RTP senders for the price of one: a single ffmpeg encodes a tone (opus) and a test
 * pattern (VP8, 320x240) once and sends copies of each to every target (the tee muxer), with
 * RtpSender's payload types and SSRCs. Each target is its own plain transport, so many
 * participants can send video to a room while the machine encodes one stream.
 */
export class RtpFanout {
  private constructor(private readonly child: ChildProcess) {}

  static start(targets: { audio: RtpTarget[]; video: RtpTarget[] }): RtpFanout {
    const slaves = [
      ...targets.audio.map(
        (t) => `[select=a:f=rtp:payload_type=${OPUS.payloadType}:ssrc=${OPUS.ssrc}]${rtpUrl(t)}`,
      ),
      ...targets.video.map(
        (t) => `[select=v:f=rtp:payload_type=${VP8.payloadType}:ssrc=${VP8.ssrc}]${rtpUrl(t)}`,
      ),
    ];
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=24',
      '-map',
      '0:a',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      '-ac',
      '2',
      '-ar',
      '48000',
      '-map',
      '1:v',
      '-c:v',
      'libvpx',
      '-b:v',
      '300k',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-g',
      '24',
      '-f',
      'tee',
      slaves.join('|'),
    ];
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (process.env.TEST_FFMPEG_LOG) process.stderr.write(chunk);
    });
    return new RtpFanout(child);
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
