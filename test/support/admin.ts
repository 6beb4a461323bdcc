import request from 'supertest';
import type { Role, ScreenSharePolicy } from '../../src/protocol/events.js';
import { TEST_ADMIN_KEY } from './app.js';

/** The admin API as an integrator uses it, with the bootstrap key. */
export class Admin {
  constructor(
    readonly baseUrl: string,
    readonly key = TEST_ADMIN_KEY,
  ) {}

  get(path: string) {
    return request(this.baseUrl).get(path).set('X-API-Key', this.key);
  }
  post(path: string, body?: object) {
    return request(this.baseUrl).post(path).set('X-API-Key', this.key).send(body);
  }
  patch(path: string, body?: object) {
    return request(this.baseUrl).patch(path).set('X-API-Key', this.key).send(body);
  }
  delete(path: string) {
    return request(this.baseUrl).delete(path).set('X-API-Key', this.key);
  }

  async createRoom(
    body: {
      name?: string;
      maxParticipants?: number;
      lobby?: boolean;
      screenShare?: ScreenSharePolicy;
    } = {},
  ): Promise<string> {
    const res = await this.post('/api/v1/rooms', { name: 'Weekly sync', ...body }).expect(201);
    return (res.body as { id: string }).id;
  }

  async issueToken(roomId: string, displayName: string, role?: Role) {
    const res = await this.post(`/api/v1/rooms/${roomId}/tokens`, {
      displayName,
      ...(role ? { role } : {}),
    }).expect(201);
    return res.body as { token: string; participantId: string; expiresAt: string };
  }
}
