import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type PipeTransform,
} from '@nestjs/common';
import { PARAM_ARGS_METADATA } from '@nestjs/websockets/constants.js';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum.js';
import { DomainError } from '../common/domain-error.js';
import { conferenceMessagePipes } from '../common/ws.js';
import { Drain } from '../lifecycle/drain.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConferenceSocket } from './conference-socket.js';

/**
 * Nest runs guards before pipes. A refused message is still checked first, so a malformed one is
 * refused as VALIDATION_FAILED whether or not the connection may send it (as when the checks ran
 * inside handlers): the ack for bad input does not depend on who sends it.
 */
abstract class PreconditionGuard implements CanActivate {
  private readonly pipes: PipeTransform[] = conferenceMessagePipes();

  protected abstract refusal(socket: ConferenceSocket): DomainError | undefined;

  /** Synchronous when the connection may send (every message but refused ones): no await. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const refusal = this.refusal(context.switchToWs().getClient<ConferenceSocket>());
    if (!refusal) return true;
    return this.validatePayload(context).then(() => Promise.reject(refusal));
  }

  private async validatePayload(context: ExecutionContext): Promise<void> {
    const gateway = context.getClass();
    const method = context.getHandler().name;
    const params = (Reflect.getMetadata(PARAM_ARGS_METADATA, gateway, method) ?? {}) as Record<
      string,
      { index: number }
    >;
    const payload = Object.entries(params).find(([key]) =>
      key.startsWith(`${WsParamtype.PAYLOAD}:`),
    );
    if (!payload) return;
    const paramtypes = (Reflect.getMetadata(
      'design:paramtypes',
      gateway.prototype as object,
      method,
    ) ?? []) as unknown[];
    const metadata = {
      type: WsParamtype.PAYLOAD,
      metatype: paramtypes[payload[1].index],
      data: undefined,
    } as unknown as Parameters<PipeTransform['transform']>[1];
    let value: unknown = context.switchToWs().getData();
    for (const pipe of this.pipes) value = await pipe.transform(value, metadata);
  }
}

const notJoined = (socket: ConferenceSocket) =>
  socket.data.joined ? undefined : new DomainError(ErrorCode.NOT_JOINED, 'Join the room first');

/** Room events need a joined connection; a socket that only authenticated gets NOT_JOINED. */
@Injectable()
export class JoinedGuard extends PreconditionGuard {
  protected refusal(socket: ConferenceSocket): DomainError | undefined {
    return notJoined(socket);
  }
}

/** Host actions need a joined connection of a host: NOT_JOINED, else FORBIDDEN. */
@Injectable()
export class HostGuard extends PreconditionGuard {
  protected refusal(socket: ConferenceSocket): DomainError | undefined {
    return (
      notJoined(socket) ??
      (socket.data.identity.role === 'host'
        ? undefined
        : new DomainError(ErrorCode.FORBIDDEN, 'Only hosts can do this'))
    );
  }
}

/** New joins go to another node while this one drains: SERVER_DRAINING. */
@Injectable()
export class NotDrainingGuard extends PreconditionGuard {
  constructor(private readonly drain: Drain) {
    super();
  }

  protected refusal(): DomainError | undefined {
    return this.drain.draining
      ? new DomainError(
          ErrorCode.SERVER_DRAINING,
          'This server is shutting down; connect again to join on another one',
        )
      : undefined;
  }
}
