import {
  applyDecorators,
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  type INestApplicationContext,
  Logger,
  type PipeTransform,
  UseFilters,
} from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import {
  type MessageMappingProperties,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { isObservable, type Observable } from 'rxjs';
import type { Socket } from 'socket.io';
import type { WsConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { type Ack, type ClientToServerEvents, CONFERENCE_NAMESPACE } from '../protocol/events.js';
import { DomainError } from './domain-error.js';
import { InputShapePipe } from './payload-shape.js';
import { EventBudget } from './event-budget.js';
import { PrecheckedValidationPipe } from './validation.js';
import { coalesceWebSocketWrites } from './write-coalescing.js';

/** `@SubscribeMessage` whose event name is checked against the protocol contract. */
export const On = (event: keyof ClientToServerEvents) => SubscribeMessage(event);

/** A failed ack for an error: domain errors keep their code, anything else is INTERNAL. */
export function errorAck(error: unknown, connectionId?: string): Ack<never> {
  if (error instanceof DomainError)
    return { ok: false, error: { code: error.code, message: error.message } };
  return {
    ok: false,
    error: { code: ErrorCode.INTERNAL, message: 'Internal error', requestId: connectionId },
  };
}

/**
 * The WebSocket side of the error model: any error thrown by a handler (or by validation before
 * it) becomes `{ ok: false, error }` in that message's ack. Unknown errors are logged, not sent.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const socket = ws.getClient<Socket>();
    const connectionId = (socket.data as { connectionId?: string } | undefined)?.connectionId;
    if (!(exception instanceof DomainError)) {
      this.logger.error(
        { err: exception, connectionId, socketId: socket.id },
        'socket handler failed',
      );
    }
    const ack: unknown = host.getArgByIndex(2);
    if (typeof ack === 'function')
      (ack as (response: unknown) => void)(errorAck(exception, connectionId));
  }
}

/** What every input (HTTP and conference message) goes through before its handler, in order. */
export function conferenceMessagePipes(): PipeTransform[] {
  // The shape check runs first: class-transformer must never see an unbounded payload.
  return [new InputShapePipe(), new PrecheckedValidationPipe()];
}

/**
 * A gateway on the `/conference` namespace: the same server options and error model for every
 * feature that handles conference events (rooms, chat, media). Validation is the app's global
 * pipes (conferenceMessagePipes, set by configureApp), which Nest runs on socket messages too:
 * pipes here as well would validate every message twice.
 */
export function ConferenceNamespaceGateway(): ClassDecorator {
  return applyDecorators(
    WebSocketGateway({
      namespace: CONFERENCE_NAMESPACE,
      // No blanket CORS: the rooms module's OriginPolicy adds it for allowed origins only.
    }),
    UseFilters(WsExceptionFilter),
  );
}

/** A connection's socket event budget, and whether its overrun was logged. */
interface ConnectionBudget {
  events: EventBudget;
  warned: boolean;
}

/**
 * Socket.IO with convene's server options that come from configuration rather than from the
 * gateway decorator's static ones: the largest packet a client may send (`maxHttpBufferSize`;
 * Engine.IO closes the connection of a client that sends more).
 */
export class ConferenceIoAdapter extends IoAdapter {
  private readonly handlerLogger = new Logger('ConferenceIoAdapter');

  /** One budget per connection, shared by the namespace's gateways (each binds its handlers). */
  private readonly budgets = new WeakMap<object, ConnectionBudget>();

  constructor(
    app: INestApplicationContext,
    private readonly limits: Pick<WsConfig, 'maxPayloadBytes' | 'eventsPerSecond' | 'eventBurst'>,
    /** Carries broadcasts and socket management to the other nodes (the Redis adapter), if any. */
    private readonly clusterAdapter?: unknown,
  ) {
    super(app);
  }

  // Typed through IoAdapter: @nestjs/platform-socket.io brings its own copy of socket.io.
  override createIOServer(
    port: number,
    options?: Parameters<IoAdapter['createIOServer']>[1],
  ): ReturnType<IoAdapter['createIOServer']> {
    // socket.io fills in every option not given, so a partial set is what it expects here.
    const configured = {
      ...options,
      maxHttpBufferSize: this.limits.maxPayloadBytes,
    } as NonNullable<typeof options>;
    const server = super.createIOServer(port, configured);
    coalesceWebSocketWrites(
      (server as { engine: Parameters<typeof coalesceWebSocketWrites>[0] }).engine,
    );
    if (this.clusterAdapter)
      (server as { adapter(a: unknown): unknown }).adapter(this.clusterAdapter);
    return server;
  }

  /** The connection's event budget, shared by the gateways that bind handlers on it. */
  private budgetOf(socket: object): ConnectionBudget {
    let budget = this.budgets.get(socket);
    if (!budget) {
      budget = {
        events: new EventBudget(this.limits.eventsPerSecond, this.limits.eventBurst),
        warned: false,
      };
      this.budgets.set(socket, budget);
    }
    return budget;
  }

  /** RATE_LIMITED in the event's ack, and a warning once per connection. */
  private refuseOverBudget(
    socket: Parameters<IoAdapter['bindMessageHandlers']>[0],
    budget: ConnectionBudget,
    event: string,
    ack: unknown,
  ): void {
    if (!budget.warned) {
      budget.warned = true;
      const { connectionId } = socket.data as { connectionId?: string };
      this.handlerLogger.warn(
        { connectionId, socketId: socket.id, event },
        'connection over its socket event budget; refusing its events until it slows down',
      );
    }
    if (typeof ack === 'function')
      (ack as (response: unknown) => void)(
        errorAck(
          new DomainError(
            ErrorCode.RATE_LIMITED,
            `Too many requests on this connection (at most ${this.limits.eventsPerSecond} a second); slow down`,
          ),
        ),
      );
  }

  /**
   * IoAdapter's binding without an RxJS pipeline per event and connection: IoAdapter builds one
   * (fromEvent, mergeMap, takeUntil the disconnect) for each of the namespace's handlers on every
   * new connection, a cost each join pays 21 times. Here each handler (Nest's context: guards,
   * pipes and filters as before) is a plain listener whose result is acked; a result that is an
   * Observable (no convene handler returns one) goes through Nest's own transform.
   */
  override bindMessageHandlers(
    socket: Parameters<IoAdapter['bindMessageHandlers']>[0],
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    const budget = this.budgetOf(socket);
    for (const { message, callback, isAckHandledManually } of handlers) {
      const event = String(message);
      socket.on(event, (...payload: unknown[]) => {
        const { data, ack } = this.mapPayload(payload) as { data: unknown; ack?: unknown };
        // At the door, before guards, validation or any work: a flooding connection is refused
        // by itself, and everyone else's messages keep their cost.
        if (!budget.events.tryTake()) {
          this.refuseOverBudget(socket, budget, event, ack);
          return;
        }
        const reply = (response: unknown) => {
          if (response === null || response === undefined) return;
          const replyEvent = (response as { event?: unknown }).event;
          if (typeof replyEvent === 'string') {
            socket.emit(replyEvent, (response as { data?: unknown }).data);
          } else if (!isAckHandledManually && typeof ack === 'function') {
            (ack as (response: unknown) => void)(response);
          }
        };
        const failed = (error: unknown) =>
          this.handlerLogger.error({ err: error, event }, 'socket handler failed');
        try {
          const handled = callback(data, ack) as unknown;
          Promise.resolve(handled).then((result: unknown) => {
            if (isObservable(result) || result instanceof Promise)
              transform(result).subscribe({ next: reply, error: failed });
            else reply(result);
          }, failed);
        } catch (error) {
          failed(error);
        }
      });
    }
  }
}
