import type { components } from '../../../test/generated/admin-api';

/** The admin API's shapes, as the committed OpenAPI spec describes them. */
type Schemas = components['schemas'];
export type Room = Schemas['RoomDto'];
export type RoomPage = Schemas['RoomPageDto'];
export type JoinToken = Schemas['JoinTokenDto'];
export type LiveParticipant = Schemas['LiveParticipantDto'];
export type LobbyEntry = Schemas['LobbyEntryDto'];
export type RoomMedia = Schemas['RoomMediaDto'];
export type AuditMessage = Schemas['AuditMessageDto'];
export type AuditPage = Schemas['AuditMessagePageDto'];
export type VerifyResult = Schemas['VerifyResultDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];
export type Role = LiveParticipant['role'];
export type Scope = ApiKey['scopes'][number];

export const SCOPES: readonly Scope[] = ['admin', 'audit:read'];

/** A refusal from the API, in its own words (`{ error: { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a person reads: the API's message, or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof TypeError) return 'The server could not be reached. Check your connection.';
  return error instanceof Error ? error.message : String(error);
}

const STORAGE_KEY = 'convene.console.apiKey';

/** The API key of this tab: sessionStorage only (gone when the tab closes; never a cookie). */
export const keyStore = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (key: string): void => sessionStorage.setItem(STORAGE_KEY, key),
  clear: (): void => sessionStorage.removeItem(STORAGE_KEY),
};

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string };
  } | null;
  return new ApiError(
    response.status,
    body?.error?.code ?? `HTTP_${response.status}`,
    body?.error?.message ?? `The server answered ${response.status} ${response.statusText}`,
  );
}

/** The admin API (`/api/v1`) with one key, from this origin. */
export class AdminApi {
  constructor(private readonly key: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'X-API-Key': this.key, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    if (!response.ok) throw await errorOf(response);
    return response;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.call(method, path, body)).json()) as T;
  }

  /**
   * The scopes of this key, asked cheaply: each probe is refused by the guard (401, 403) before
   * any work when the key lacks the scope, and costs a not-found or a one-row page otherwise.
   */
  async scopes(): Promise<Set<Scope>> {
    const granted = new Set<Scope>();
    const probe = async (scope: Scope, path: string) => {
      try {
        await this.call('GET', path);
        granted.add(scope);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.status === 401) throw error;
        // Past the guard: the key has the scope (the probe's room does not exist).
        if (error.status === 404 || error.status === 400) granted.add(scope);
        else if (error.status !== 403) throw error;
      }
    };
    await probe('admin', '/rooms?limit=1');
    await probe('audit:read', `/rooms/${NIL_UUID}/messages?limit=1`);
    return granted;
  }

  listRooms(query: { status?: string; limit?: number; cursor?: string }): Promise<RoomPage> {
    return this.json('GET', withQuery('/rooms', query));
  }
  getRoom(roomId: string): Promise<Room> {
    return this.json('GET', `/rooms/${roomId}`);
  }
  createRoom(body: { name: string; lobby?: boolean; maxParticipants?: number }): Promise<Room> {
    return this.json('POST', '/rooms', body);
  }
  async closeRoom(roomId: string): Promise<void> {
    await this.call('DELETE', `/rooms/${roomId}`);
  }
  issueToken(roomId: string, displayName: string, role: Role): Promise<JoinToken> {
    return this.json('POST', `/rooms/${roomId}/tokens`, { displayName, role });
  }
  participants(roomId: string): Promise<LiveParticipant[]> {
    return this.json('GET', `/rooms/${roomId}/participants`);
  }
  lobby(roomId: string): Promise<LobbyEntry[]> {
    return this.json('GET', `/rooms/${roomId}/lobby`);
  }
  media(roomId: string): Promise<RoomMedia> {
    return this.json('GET', `/rooms/${roomId}/media`);
  }
  async kick(roomId: string, participantId: string): Promise<void> {
    await this.call('DELETE', `/rooms/${roomId}/participants/${participantId}`);
  }
  async mute(roomId: string, participantId: string, kind: 'audio' | 'video'): Promise<void> {
    await this.call('POST', `/rooms/${roomId}/participants/${participantId}/mute`, { kind });
  }
  async admit(roomId: string, participantId: string): Promise<void> {
    await this.call('POST', `/rooms/${roomId}/lobby/${participantId}/admit`);
  }
  async reject(roomId: string, participantId: string): Promise<void> {
    await this.call('POST', `/rooms/${roomId}/lobby/${participantId}/reject`);
  }

  auditMessages(roomId: string, query: Query): Promise<AuditPage> {
    return this.json('GET', withQuery(`/rooms/${roomId}/messages`, query));
  }
  verify(roomId: string): Promise<VerifyResult> {
    return this.json('GET', `/rooms/${roomId}/messages/verify`);
  }
  /** The export as one file (read whole: the console downloads it as a Blob). */
  async exportMessages(query: Query & { format: 'ndjson' | 'csv' }): Promise<Blob> {
    return (await this.call('GET', withQuery('/audit/messages/export', query))).blob();
  }

  listKeys(): Promise<ApiKey[]> {
    return this.json('GET', '/api-keys');
  }
  createKey(name: string, scopes: Scope[]): Promise<CreatedApiKey> {
    return this.json('POST', '/api-keys', { name, scopes });
  }
  async revokeKey(id: string): Promise<void> {
    await this.call('DELETE', `/api-keys/${id}`);
  }
}

/** A room id no room has (a well-formed v4 UUID, so only the guard or the lookup answers). */
const NIL_UUID = '00000000-0000-4000-8000-000000000000';

/** The link a person opens to join (README, "join link"): the token stays in the fragment. */
export function joinLink(token: string): string {
  return `${location.origin}/join#token=${encodeURIComponent(token)}`;
}
