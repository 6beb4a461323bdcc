import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'Convene-Webhook-Id',
  timestamp: 'Convene-Webhook-Timestamp',
  signature: 'Convene-Webhook-Signature',
} as const;

/** How old a timestamp a receiver should accept (README, "Verifying a webhook"). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** hex HMAC-SHA256(secret, "<timestamp>.<body>"): what `v1=` carries. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The headers of one attempt: a fresh timestamp each time, signed with the body. */
export function signedHeaders(
  secret: string,
  eventId: string,
  body: string,
  nowMs = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [WEBHOOK_HEADERS.id]: eventId,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: `v1=${webhookSignature(secret, timestamp, body)}`,
  };
}

export type WebhookCheck = 'valid' | 'bad-signature' | 'stale' | 'malformed';

/**
 * A receiver's check, as the README describes it: the timestamp is within `toleranceSeconds` of
 * now (against replay), and one `v1=` signature of the header matches, compared in constant time.
 */
export function verifyWebhook(
  secret: string,
  body: string,
  timestampHeader: string | undefined,
  signatureHeader: string | undefined,
  options: { toleranceSeconds?: number; nowMs?: number } = {},
): WebhookCheck {
  if (!timestampHeader || !/^\d{1,12}$/.test(timestampHeader) || !signatureHeader)
    return 'malformed';
  const timestamp = Number(timestampHeader);
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
    return 'stale';
  const expected = Buffer.from(webhookSignature(secret, timestamp, body), 'hex');
  const matches = signatureHeader
    .split(/[,\s]+/)
    .filter((part) => part.startsWith('v1='))
    .map((part) => Buffer.from(part.slice(3), 'hex'))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  return matches ? 'valid' : 'bad-signature';
}
