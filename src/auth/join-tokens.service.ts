import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import { DomainError } from '../common/domain-error.js';
import { withoutUnsafeText } from '../common/text.js';
import { authConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ROLES, type Role } from '../protocol/events.js';

const ISSUER = 'convene';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a verified join token says. Where it came from does not matter past this point. */
export interface JoinClaims {
  roomId: string;
  participantId: string;
  displayName: string;
  role: Role;
  expiresAt: Date;
  /** IdP tokens: their `iat` (the epoch when absent), to tell a newer sign-in from an older one. */
  issuedAt?: Date;
  /** `convene` for tokens we issued, `idp` for the corporate identity provider's. */
  source: 'convene' | 'idp';
}

/**
 * The participant id of an IdP subject in one room: the same on every reconnect to that room,
 * different in each room (participants, kicks and lobby decisions are per room).
 */
export function participantIdForSubject(issuer: string, subject: string, roomId: string): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([issuer, subject, roomId]))
    .digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function stringClaim(payload: JWTPayload, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = payload[name];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

/**
 * Whether fetching the IdP's key set failed (IdP down, slow, or answering garbage), as opposed
 * to the token naming no usable key. `fetch` itself throws plain errors, not jose's.
 */
function isKeySetUnavailable(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true;
  return (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    error.code === joseErrors.JOSEError.code // non-200 answer or a body that is not JSON
  );
}

/** The person's name from IdP claims, cleaned of what cannot be stored or shown; `Guest` if none. */
function displayNameOf(payload: JWTPayload): string {
  for (const claim of ['name', 'preferred_username', 'email']) {
    const value = stringClaim(payload, claim);
    // Cut first: a cut through a surrogate pair leaves half of it, which is then removed.
    const name = value && withoutUnsafeText(value.slice(0, 100)).trim();
    if (name) return name;
  }
  return 'Guest';
}

/** Signs convene join tokens (HS256) and verifies them, and IdP tokens (RS256/ES256, JWKS). */
@Injectable()
export class JoinTokensService {
  private readonly logger = new Logger('JoinTokensService');
  /** Imported once: given the raw bytes, jose imports the key again on every sign and verify. */
  private readonly key: Promise<CryptoKey>;
  private readonly jwks: JWTVerifyGetKey | undefined;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    this.key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(config.jwtSecret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    if (config.jwtSecretFile) {
      this.logger.warn(
        { file: config.jwtSecretFile },
        'CONVENE_JWT_SECRET is unset: join tokens use the secret generated in this file; with several nodes, set CONVENE_JWT_SECRET to one shared secret',
      );
    }
    if (config.jwksUrl) this.jwks = this.idpKeys(config.jwksUrl);
  }

  /**
   * The IdP's keys, fetched and cached by jose. When they cannot be fetched the token is not at
   * fault: that is SERVICE_UNAVAILABLE, which the handshake does not count as a failed attempt.
   */
  private idpKeys(jwksUrl: string): JWTVerifyGetKey {
    const remote = createRemoteJWKSet(new URL(jwksUrl), {
      timeoutDuration: 3000,
      cooldownDuration: 30_000,
    });
    return async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (!isKeySetUnavailable(error)) throw error;
        this.logger.warn({ err: error, jwksUrl }, 'identity provider keys (JWKS) unavailable');
        throw new DomainError(
          ErrorCode.SERVICE_UNAVAILABLE,
          'Sign-in through your identity provider is unavailable right now; try again shortly',
        );
      }
    };
  }

  get ttlSeconds(): number {
    return this.config.tokenTtlSeconds;
  }

  async sign(claims: Omit<JoinClaims, 'source' | 'issuedAt'>): Promise<string> {
    return new SignJWT({ room: claims.roomId, name: claims.displayName, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(claims.participantId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
      .sign(await this.key);
  }

  /** Verifies signature, issuer and expiry; throws TOKEN_INVALID or TOKEN_EXPIRED. */
  async verify(token: string): Promise<JoinClaims> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new DomainError(ErrorCode.TOKEN_INVALID, 'The join token is malformed');
    }
    try {
      if (alg === 'HS256') return await this.verifyOwn(token);
      if ((alg === 'RS256' || alg === 'ES256') && this.jwks) return await this.verifyIdp(token);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (error instanceof joseErrors.JWTExpired) {
        throw new DomainError(ErrorCode.TOKEN_EXPIRED, 'The join token has expired');
      }
      throw new DomainError(ErrorCode.TOKEN_INVALID, 'The join token is not valid');
    }
    throw new DomainError(
      ErrorCode.TOKEN_INVALID,
      `Join tokens signed with ${alg ?? 'no algorithm'} are not accepted`,
    );
  }

  private async verifyOwn(token: string): Promise<JoinClaims> {
    const { payload } = await jwtVerify(token, await this.key, {
      issuer: ISSUER,
      algorithms: ['HS256'],
    });
    const role = payload.role as Role;
    if (
      typeof payload.sub !== 'string' ||
      !UUID.test(payload.sub) ||
      typeof payload.room !== 'string' ||
      !UUID.test(payload.room) ||
      typeof payload.name !== 'string' ||
      !ROLES.includes(role) ||
      typeof payload.exp !== 'number'
    ) {
      throw new DomainError(ErrorCode.TOKEN_INVALID, 'The join token lacks required claims');
    }
    return {
      roomId: payload.room,
      participantId: payload.sub,
      displayName: payload.name,
      role,
      expiresAt: new Date(payload.exp * 1000),
      source: 'convene',
    };
  }

  /**
   * IdP tokens name the room in `convene_room` (or `room`), the person in `name`,
   * `preferred_username` or `email`, and the role in `convene_role` (default participant).
   */
  private async verifyIdp(token: string): Promise<JoinClaims> {
    const { payload } = await jwtVerify(token, this.jwks!, {
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      algorithms: ['RS256', 'ES256'],
      requiredClaims: ['sub', 'exp'],
    });
    const roomId = stringClaim(payload, 'convene_room', 'room');
    const role = (stringClaim(payload, 'convene_role') ?? 'participant') as Role;
    if (!roomId || !UUID.test(roomId) || !ROLES.includes(role)) {
      throw new DomainError(
        ErrorCode.TOKEN_INVALID,
        'The identity token names no valid room or role',
      );
    }
    return {
      roomId,
      participantId: participantIdForSubject(String(payload.iss), payload.sub!, roomId),
      displayName: displayNameOf(payload),
      role,
      expiresAt: new Date(payload.exp! * 1000),
      issuedAt: new Date((typeof payload.iat === 'number' ? payload.iat : 0) * 1000),
      source: 'idp',
    };
  }
}
