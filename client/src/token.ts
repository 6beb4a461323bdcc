import { ROLES, type Role } from '../../src/protocol/events.js';

/** What the page shows before the server has verified the token (display only, never trusted). */
export interface JoinLink {
  token: string;
  displayName: string;
  role: Role;
  /** `#debug=1`: exposes the received-event log and media stats on `window.conveneDebug`. */
  debug: boolean;
  /** `#relay=1`: media only through TURN (`iceTransportPolicy: 'relay'`), to test or debug TURN. */
  relay: boolean;
}

const STORAGE_KEY = 'convene.joinToken';

/**
 * Reads the join token from the URL fragment (never sent to the server in a request), keeps it in
 * this tab's session storage so a reload still works, and removes it from the address bar.
 */
export function readJoinLink(
  location: Location,
  history: History,
  storage: Storage,
): JoinLink | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = params.get('token');
  const debug = params.get('debug') === '1';
  const relay = params.get('relay') === '1';
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl);
    // The options stay in the address bar (a reload keeps them); the token does not.
    const kept = [debug ? 'debug=1' : '', relay ? 'relay=1' : ''].filter(Boolean).join('&');
    history.replaceState(null, '', `${location.pathname}${kept ? `#${kept}` : ''}`);
  }
  const token = fromUrl ?? storage.getItem(STORAGE_KEY);
  if (!token) return undefined;
  const claims = decodeClaims(token);
  const name = [claims.name, claims.preferred_username, claims.email].find(
    (v) => typeof v === 'string',
  );
  const role = claims.role ?? claims.convene_role;
  return {
    token,
    displayName: typeof name === 'string' ? name : 'Guest',
    role: isRole(role) ? role : 'participant',
    debug,
    relay,
  };
}

export function forgetJoinLink(storage: Storage): void {
  storage.removeItem(STORAGE_KEY);
}

function decodeClaims(token: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function isRole(value: unknown): value is Role {
  return (ROLES as readonly unknown[]).includes(value);
}
