import { Global, Module } from '@nestjs/common';
import { NodeDirectory } from './node-directory.js';
import { NodeRpc } from './node-rpc.js';

/**
 * The nodes of one deployment: which are alive (NodeDirectory, heartbeats in Redis) and
 * requests between them (NodeRpc). With no REDIS_URL there is one node and both are trivial.
 */
@Global()
@Module({ providers: [NodeDirectory, NodeRpc], exports: [NodeDirectory, NodeRpc] })
export class ClusterModule {}
