import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { chatConfig } from '../../config/configuration.js';
import { AuditStore, type ChainSigner } from './audit.store.js';

export const SIGNATURE_STATUSES = ['valid', 'invalid', 'absent', 'unchecked'] as const;
export type SignatureStatus = (typeof SIGNATURE_STATUSES)[number];

/**
 * HMAC-SHA256 signatures of chain heads and retention checkpoints, with CONVENE_AUDIT_SIGNING_KEY
 * (kept out of the database): lowercase hex of HMAC-SHA256(key as UTF-8, JSON array as UTF-8),
 * the array being ["convene-chain-head", room_id, seq, hash] or
 * ["convene-checkpoint", room_id, seq, hash]. Without a key nothing is signed or checked.
 */
@Injectable()
export class AuditSigning implements ChainSigner, OnApplicationBootstrap {
  private readonly logger = new Logger('AuditSigning');
  private readonly key: string | undefined;

  constructor(
    @Inject(chatConfig.KEY) config: ConfigType<typeof chatConfig>,
    private readonly store: AuditStore,
  ) {
    this.key = config.auditSigningKey;
  }

  get enabled(): boolean {
    return this.key !== undefined;
  }

  /** The head's signature, or null without a key. */
  head(roomId: string, seq: number, hash: string): string | null {
    return this.sign(['convene-chain-head', roomId, seq, hash]);
  }

  /** The checkpoint's signature, or null without a key. */
  checkpoint(roomId: string, seq: number, hash: string): string | null {
    return this.sign(['convene-checkpoint', roomId, seq, hash]);
  }

  /** Compares a stored signature with the expected one, in constant time. */
  check(stored: string | null, expected: string | null): SignatureStatus {
    if (expected === null) return 'unchecked';
    if (stored === null) return 'absent';
    const a = Buffer.from(stored.trim());
    const b = Buffer.from(expected);
    return a.length === b.length && timingSafeEqual(a, b) ? 'valid' : 'invalid';
  }

  /**
   * Trust on first use: when the key is configured, heads and checkpoints written without one
   * (before the key was set) are signed as they stand. Appends never sign over a head whose
   * signature is missing or wrong, so after the first start with the key this should sign
   * nothing; when it does, a signature was removed (or a node ran without the key): it is logged.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    const signed = await this.store.signUnsigned(this);
    if (signed.length > 0)
      this.logger.warn(
        { rooms: [...new Set(signed)] },
        `signed ${signed.length} unsigned audit chain heads/checkpoints as they stand (expected only at the first start with CONVENE_AUDIT_SIGNING_KEY)`,
      );
  }

  private sign(canonical: [string, string, number, string]): string | null {
    if (this.key === undefined) return null;
    return createHmac('sha256', this.key).update(JSON.stringify(canonical)).digest('hex');
  }
}
