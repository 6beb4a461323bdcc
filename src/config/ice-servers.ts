/**
 * The ICE servers browsers are given (CONVENE_ICE_SERVERS, CONVENE_TURN_URLS): parsed here so
 * that a mistake stops the boot with a message naming the entry, instead of every browser
 * failing `new RTCPeerConnection` (which throws on a bad URL or a TURN URL without
 * credentials). Messages never repeat a username or credential.
 */
import type { IceServer } from '../protocol/events.js';

const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)`;
const PORT = String.raw`(?::\d{1,5})?`;
/** RFC 7064 (stun:, stuns:) and RFC 7065 (turn:, turns:, with an optional transport). */
const STUN_URL = new RegExp(`^stuns?:${HOST}${PORT}$`);
const TURN_URL = new RegExp(`^turns?:${HOST}${PORT}(?:\\?transport=(?:udp|tcp))?$`);

export const isTurnUrl = (url: string): boolean => TURN_URL.test(url);
const isIceUrl = (url: string): boolean => STUN_URL.test(url) || TURN_URL.test(url);

const ALLOWED_KEYS = new Set(['urls', 'username', 'credential']);

/** The problem with one entry of CONVENE_ICE_SERVERS, or its normalized form. */
function iceServerOf(entry: unknown, at: string): IceServer | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    return `${at} must be an object such as {"urls":"stun:stun.example.com:3478"}`;
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !ALLOWED_KEYS.has(k));
  if (unknown.length > 0)
    return `${at} has unknown keys (${unknown.join(', ')}); allowed: urls, username, credential`;
  const urls = typeof record.urls === 'string' ? [record.urls] : record.urls;
  if (!Array.isArray(urls) || urls.length === 0 || urls.some((u) => typeof u !== 'string'))
    return `${at}.urls must be a URL or a non-empty array of URLs`;
  const bad = (urls as string[]).filter((u) => !isIceUrl(u));
  if (bad.length > 0)
    return `${at}.urls must be stun:, stuns:, turn: or turns: URLs such as turn:turn.example.com:3478?transport=udp (not: ${bad.join(', ')})`;
  for (const key of ['username', 'credential'] as const)
    if (record[key] !== undefined && typeof record[key] !== 'string')
      return `${at}.${key} must be a string`;
  const { username, credential } = record as { username?: string; credential?: string };
  if ((urls as string[]).some(isTurnUrl) && (!username || !credential))
    return `${at} has a TURN URL, so it needs a username and a credential (or use CONVENE_TURN_SECRET for time-limited ones)`;
  return {
    urls: typeof record.urls === 'string' ? record.urls : [...(urls as string[])],
    ...(username !== undefined ? { username } : {}),
    ...(credential !== undefined ? { credential } : {}),
  };
}

/** CONVENE_ICE_SERVERS: a JSON array of RTCIceServer-like objects; the problems, or the servers. */
export function parseIceServers(json: string): { servers: IceServer[] } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return {
      problem:
        'must be a JSON array such as [{"urls":"stun:stun.example.com:3478"}] (it is not valid JSON)',
    };
  }
  if (!Array.isArray(value))
    return { problem: 'must be a JSON array such as [{"urls":"stun:stun.example.com:3478"}]' };
  const servers: IceServer[] = [];
  const problems: string[] = [];
  value.forEach((entry, i) => {
    const parsed = iceServerOf(entry, `[${i}]`);
    if (typeof parsed === 'string') problems.push(parsed);
    else servers.push(parsed);
  });
  return problems.length > 0 ? { problem: `entry ${problems.join('; entry ')}` } : { servers };
}

/** CONVENE_TURN_URLS: a comma list of turn:/turns: URLs; the bad ones (none: all good). */
export function badTurnUrls(urls: string[]): string[] {
  return urls.filter((u) => !isTurnUrl(u));
}
