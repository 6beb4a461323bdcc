import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the child runs: binds `count` UDP sockets on 127.0.0.1 with the smallest receive buffer,
 * prints their ports, then blocks its only thread without spinning, so nothing ever reads them.
 */
const CHILD = `
import dgram from 'node:dgram';
const count = Number(process.argv[1]);
const sockets = Array.from({ length: count }, () => dgram.createSocket({ type: 'udp4', recvBufferSize: 1 }));
await Promise.all(sockets.map((s) => new Promise((resolve) => s.bind(0, '127.0.0.1', resolve))));
process.stdout.write('ports ' + sockets.map((s) => s.address().port).join(' ') + '\\n', () =>
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0),
);
`;

/** The kernel's count of packets dropped on a 127.0.0.1 UDP socket because its buffer was full. */
export function udpDrops(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const line = readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((fields) => fields[1] === local);
  return line ? Number(line.at(-1)) : NaN;
}

/**
 * UDP sinks that cost the receiving side nothing: sockets held by a child process that never
 * reads them. Once a socket's tiny buffer is full (at its first packets) the kernel drops every
 * packet that arrives and counts it, so the drop counter in /proc/net/udp counts arrivals. A
 * Node process reading each packet could not keep up with one busy mediasoup worker on a shared
 * 2-core machine; this way the only cost is the kernel's, as with any receiver.
 */
export class UdpCounter {
  private constructor(
    private readonly child: ChildProcess,
    readonly ports: number[],
  ) {}

  static async start(sockets: number): Promise<UdpCounter> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, String(sockets)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ports = await new Promise<number[]>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`udp counter exited with ${code}`)));
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /ports ([\d ]+)\n/.exec(out);
        if (match) resolve(match[1].split(' ').map(Number));
      });
    });
    return new UdpCounter(child, ports);
  }

  /** Packets that reached `port` so far (less the few its buffer holds). */
  arrived(port: number): number {
    return udpDrops(port);
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
