import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { iceConfig, type IceConfig } from '../config/configuration.js';
import type { IceServer } from '../protocol/events.js';

/** A TURN REST credential: what coturn's `use-auth-secret` checks. */
export interface TurnCredential {
  /** `<expiry unix time>:<participantId>` */
  username: string;
  /** base64(HMAC-SHA1(secret, username)) */
  credential: string;
}

/**
 * The TURN REST API credential (draft-uberti-behave-turn-rest, as coturn implements it): valid
 * until `expiresAt` (unix seconds), for this participant only; coturn recomputes the HMAC from
 * the username with the same secret, so nothing is stored anywhere.
 */
export function turnCredential(
  secret: string,
  participantId: string,
  expiresAt: number,
): TurnCredential {
  const username = `${Math.floor(expiresAt)}:${participantId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The ICE servers a participant's transports use: the configured ones, plus TURN with fresh credentials. */
@Injectable()
export class IceServers {
  constructor(@Inject(iceConfig.KEY) private readonly config: IceConfig) {}

  /** A new TURN credential each call (each transport), so a reconnect never carries an expired one. */
  forParticipant(participantId: string, now = Date.now()): IceServer[] {
    const servers = this.config.iceServers.map((s) => ({ ...s }));
    const turn = this.config.turn;
    if (!turn) return servers;
    const expiresAt = Math.floor(now / 1000) + turn.ttlSeconds;
    return [
      ...servers,
      { urls: [...turn.urls], ...turnCredential(turn.secret, participantId, expiresAt) },
    ];
  }
}
