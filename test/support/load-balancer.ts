import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer in front of some nodes, as a Kubernetes Service is: each new connection
 * goes to the first node whose `/health/ready` answers 200 (so a draining node gets no one new);
 * open connections stay where they are until either end closes them.
 */
export class LoadBalancer {
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  private constructor(private readonly nodes: () => { url: string }[]) {
    this.server = createServer((client) => this.route(client));
  }

  static async start(nodes: () => { url: string }[]): Promise<LoadBalancer> {
    const balancer = new LoadBalancer(nodes);
    await new Promise<void>((resolve) => balancer.server.listen(0, '127.0.0.1', resolve));
    return balancer;
  }

  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: Socket): void {
    client.pause();
    this.track(client);
    void readyNode(this.nodes()).then((target) => {
      if (!target || client.destroyed) return void client.destroy();
      const upstream = this.track(
        createConnection({ host: target.hostname, port: Number(target.port) }),
      );
      client.pipe(upstream).pipe(client);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        a.once('error', () => b.destroy());
        a.once('close', () => b.destroy());
      }
      client.resume();
    });
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  }
}

async function readyNode(nodes: { url: string }[]): Promise<URL | undefined> {
  for (const node of nodes) {
    const ready = await fetch(`${node.url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return new URL(node.url);
  }
  return undefined;
}
