import { connect, createServer, type Server, type Socket } from 'node:net';

export type Direction = 'to-browser' | 'to-server';

/**
 * A TCP relay in front of the app, standing in for one person's network: a held direction keeps
 * what is sent that way in the link, as on a link that stalls, and release() delivers it in
 * order. Nothing in the page or the server is changed.
 */
export class SlowLink {
  private readonly held = new Set<Direction>();
  private readonly waiting: Record<Direction, (() => void)[]> = {
    'to-browser': [],
    'to-server': [],
  };
  private readonly sockets = new Set<Socket>();
  private delayMs = 0;
  private readerDelay: { command: string; ms: number } | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Relays to `target` (http://host:port); the browser opens `link.url` instead. */
  static async start(target: string): Promise<SlowLink> {
    const { hostname, port } = new URL(target);
    const server = createServer();
    const link: SlowLink = await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(new SlowLink(server, `http://127.0.0.1:${address.port}`));
      });
    });
    server.on('connection', (browserSide) => link.relay(browserSide, hostname, Number(port)));
    return link;
  }

  hold(direction: Direction): void {
    this.held.add(direction);
  }

  release(direction: Direction): void {
    this.held.delete(direction);
    for (const deliver of this.waiting[direction].splice(0)) deliver();
  }

  /**
   * From now on every chunk, either way, arrives `ms` later than it was sent, in order: a link
   * with that much latency (0: none).
   */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * What the server sends on a connection once its client has sent `command` (any case; e.g.
   * Redis's `XREAD`, what the Socket.IO streams adapter reads with) arrives `ms` later, in order;
   * the link's other connections are left alone: a Redis client whose stream reads lag. Set it
   * before the client connects (a command sent before is not looked for).
   */
  delayRepliesAfter(command: string, ms: number): void {
    this.readerDelay = { command: command.toLowerCase(), ms };
  }

  /** Cuts every connection at once, as a network drop does: no goodbye on either side. */
  drop(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(browserSide: Socket, host: string, port: number): void {
    const serverSide = connect(port, host);
    // Whether this connection's client sent the command whose replies lag (commands are short
    // and each arrives whole on loopback, so a chunk holds it or not).
    let reader = false;
    browserSide.on('data', (chunk: Buffer) => {
      const command = this.readerDelay?.command;
      if (command && chunk.toString('latin1').toLowerCase().includes(command)) reader = true;
    });
    this.forward(browserSide, serverSide, 'to-server', () => this.delayMs);
    this.forward(serverSide, browserSide, 'to-browser', () =>
      reader && this.readerDelay ? this.readerDelay.ms : this.delayMs,
    );
  }

  private forward(from: Socket, to: Socket, direction: Direction, delayOf: () => number): void {
    this.sockets.add(from);
    from.on('error', () => from.destroy());
    // end(), not destroy(): what was already written still arrives (e.g. a goodbye, then close).
    from.on('close', () => {
      this.sockets.delete(from);
      to.end();
    });
    // Chunks in the link, each with when it arrives: a queue, so that a change of delay never
    // lets a later chunk overtake an earlier one.
    const inLink: { at: number; chunk: Buffer }[] = [];
    const drain = () => {
      while (inLink.length > 0 && inLink[0].at <= Date.now()) {
        const { chunk } = inLink.shift() as { chunk: Buffer };
        if (to.writable) to.write(chunk);
      }
      if (inLink.length > 0) setTimeout(drain, inLink[0].at - Date.now());
    };
    from.on('data', (chunk: Buffer) => {
      const deliver = () => {
        const delayMs = delayOf();
        if (delayMs === 0 && inLink.length === 0) {
          if (to.writable) to.write(chunk);
          return;
        }
        inLink.push({ at: Date.now() + delayMs, chunk });
        if (inLink.length === 1) setTimeout(drain, delayMs);
      };
      if (this.held.has(direction)) this.waiting[direction].push(deliver);
      else deliver();
    });
  }
}
