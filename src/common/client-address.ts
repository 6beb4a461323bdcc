import { BlockList, isIP } from 'node:net';

/**
 * Which proxies in front of convene to believe about the client's address (X-Forwarded-For),
 * from CONVENE_TRUST_PROXY: none (`false`), all (`true`), the nearest `n` hops, or proxies whose
 * address is in a list of IPs, CIDR ranges and the names `loopback`, `linklocal`, `uniquelocal`.
 */
export type TrustProxy = boolean | number | readonly string[];

/** Decides whether the address `hop` steps from convene (0 = the socket's peer) is a trusted proxy. */
export type TrustFn = (address: string, hop: number) => boolean;

export const TRUST_PROXY_PRESETS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** The ranges a preset name stands for; undefined for anything else (`constructor` included). */
const presetRanges = (entry: string): readonly string[] | undefined =>
  Object.hasOwn(TRUST_PROXY_PRESETS, entry) ? TRUST_PROXY_PRESETS[entry] : undefined;

/** `::ffff:10.0.0.1` is 10.0.0.1; a zone (`fe80::1%eth0`) is not part of the address. */
function normalize(address: string): string {
  const bare = address.trim().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? mapped[1] : bare;
}

/** Why an entry of a CONVENE_TRUST_PROXY list is not an IP, CIDR range or preset; else undefined. */
export function trustEntryProblem(entry: string): string | undefined {
  if (presetRanges(entry)) return undefined;
  const [ip, prefix, extra] = entry.split('/');
  const family = isIP(ip);
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or CIDR range`;
  if (prefix === undefined) return undefined;
  const bits = Number(prefix);
  if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128))
    return `"${entry}" has an invalid prefix length`;
  return undefined;
}

/** The same rule Express applies for its 'trust proxy' setting, for HTTP and WebSocket alike. */
export function compileTrust(setting: TrustProxy): TrustFn {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  const list = new BlockList();
  for (const entry of setting.flatMap((e) => presetRanges(e) ?? [e])) {
    const [ip, prefix] = entry.split('/');
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(prefix), type);
  }
  return (address) => {
    const ip = normalize(address);
    const family = isIP(ip);
    return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address: walking from the socket's peer back through X-Forwarded-For, the first
 * address that is not a trusted proxy (as Express computes `req.ip`). A client cannot choose its
 * address by sending the header itself unless whoever it connects to directly is trusted.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | string[] | undefined,
  trust: TrustFn,
): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const hops = header
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .reverse();
  const addresses = [peer, ...hops];
  let i = 0;
  while (i < addresses.length - 1 && trust(addresses[i], i)) i++;
  return addresses[i];
}
