import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { NodeDirectory } from '../cluster/node-directory.js';
import { ConferenceServer } from '../conference/conference-server.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { SessionsService } from './sessions.service.js';

const REMOVE_ATTEMPTS = 5;
const RETRY_MS = 1_000;

/**
 * Sessions follow the nodes: when another node dies, its participants leave their rooms; when
 * this node missed its own heartbeat deadline (the others have removed its participants), it ends
 * its connections so that their clients reconnect and join again. At start, whatever a previous
 * run under this node id left in presence is removed.
 */
@Injectable()
export class NodeSessions implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('NodeSessions');
  private readonly onNodeDown = ({ nodeId }: { nodeId: string }) => void this.remove(nodeId);
  private readonly onSelfExpired = () => {
    if (!this.server.ready) return;
    this.server.endLocal({
      reason: 'server-shutdown',
      code: ErrorCode.SERVICE_UNAVAILABLE,
      message: 'This server lost contact with the others; reconnect in a moment',
    });
  };

  constructor(
    private readonly nodes: NodeDirectory,
    private readonly sessions: SessionsService,
    private readonly server: ConferenceServer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.nodes.events.on('node.down', this.onNodeDown);
    this.nodes.events.on('self.expired', this.onSelfExpired);
    if (this.nodes.clustered) await this.remove(this.nodes.nodeId);
  }

  onModuleDestroy(): void {
    this.nodes.events.off('node.down', this.onNodeDown);
    this.nodes.events.off('self.expired', this.onSelfExpired);
  }

  /** Retried a few times: a node's death is announced once, and Redis may blink meanwhile. */
  private async remove(nodeId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.sessions.removeNode(nodeId);
        return;
      } catch (error) {
        if (attempt >= REMOVE_ATTEMPTS) {
          this.logger.error({ err: error, nodeId }, 'removing the sessions of a node failed');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}
