import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { DomainError } from '../common/domain-error.js';
import { authConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ApiKeyEntity, ApiKeyScope } from './api-key.entity.js';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto.js';

const BOOTSTRAP_PREFIX = 'bootstrap';
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Keys look like `cvn_<12 char prefix>_<secret>`; anything else can only be the bootstrap key. */
function prefixOf(key: string): string {
  const match = /^cvn_([A-Za-z0-9]{12})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return match ? match[1] : BOOTSTRAP_PREFIX;
}

function toDto(row: ApiKeyEntity): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Admin API keys: stored hashed, compared in constant time, revocable. */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiKeysService');

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
  ) {}

  /**
   * Makes CONVENE_ADMIN_API_KEY (or the development key generated in its place) usable; a
   * changed value revokes the previous bootstrap key.
   */
  async onApplicationBootstrap(): Promise<void> {
    const key = this.config.adminApiKey;
    if (!key) return;
    const hash = sha256(key);
    await this.keys.manager.transaction(async (tx) => {
      const current = await tx.findOne(ApiKeyEntity, { where: { prefix: BOOTSTRAP_PREFIX } });
      if (current?.secretHash === hash) return;
      if (current) await tx.delete(ApiKeyEntity, { id: current.id });
      await tx.insert(ApiKeyEntity, {
        name: this.config.adminApiKeyFile
          ? 'bootstrap (generated in development)'
          : 'bootstrap (CONVENE_ADMIN_API_KEY)',
        prefix: BOOTSTRAP_PREFIX,
        secretHash: hash,
        scopes: ['admin', 'audit:read'],
        bootstrap: true,
      });
      this.logger.log('bootstrap admin API key installed');
    });
  }

  /**
   * Creates a key with at most the scopes of `creator` (no key can mint a more powerful one); the
   * returned `key` is the only time the secret exists outside the caller.
   */
  async create(
    name: string,
    scopes: ApiKeyScope[],
    creator: ApiKeyPrincipal,
  ): Promise<CreatedApiKeyDto> {
    requireScopes(creator, scopes, 'grant');
    const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
    const key = `cvn_${prefix}_${randomBytes(32).toString('base64url')}`;
    const row = await this.keys.save(
      this.keys.create({ name, prefix, secretHash: sha256(key), scopes, bootstrap: false }),
    );
    return { ...toDto(row), key };
  }

  async list(): Promise<ApiKeyDto[]> {
    const rows = await this.keys.find({ order: { createdAt: 'ASC' } });
    return rows.map(toDto);
  }

  /** Revokes a key; only a key holding all of its scopes may (an admin key cannot cut off audit). */
  async revoke(id: string, revoker: ApiKeyPrincipal): Promise<void> {
    const row = await this.keys.findOne({ where: { id } });
    if (!row) throw new DomainError(ErrorCode.API_KEY_NOT_FOUND, `No API key ${id}`);
    requireScopes(revoker, row.scopes, 'revoke a key with');
    if (!row.revokedAt)
      await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** The principal of a presented key, or undefined when it is unknown or revoked. */
  async verify(presented: string): Promise<ApiKeyPrincipal | undefined> {
    const row = await this.keys.findOne({ where: { prefix: prefixOf(presented) } });
    const expected = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex');
    const actual = Buffer.from(sha256(presented), 'hex');
    const matches = timingSafeEqual(expected, actual);
    if (!row || !matches || row.revokedAt) return undefined;
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Best effort bookkeeping: a failed timestamp update must not fail the request.
      this.keys.update({ id: row.id }, { lastUsedAt: new Date() }).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not record API key use');
      });
    }
    return { id: row.id, name: row.name, scopes: row.scopes };
  }
}

/** A key may only hand out, or take away, power it has itself. */
function requireScopes(caller: ApiKeyPrincipal, scopes: ApiKeyScope[], action: string): void {
  const beyond = scopes.filter((scope) => !caller.scopes.includes(scope));
  if (beyond.length > 0) {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      `This API key cannot ${action} scopes it does not have: ${beyond.join(', ')}`,
    );
  }
}
