import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface IdpTokenOptions {
  alg?: 'RS256' | 'ES256';
  issuer?: string;
  audience?: string;
  subject?: string;
  /** Seconds since the epoch; default ten minutes from now. */
  expiresAt?: number;
  /** `iat`, seconds since the epoch; default now. */
  issuedAt?: number;
}

/**
 * A corporate identity provider on a local port: an RS256 key (`rs`) and an ES256 key (`es`)
 * published as a JWKS at `jwksUrl`, and tokens signed with them. `stop()` makes the JWKS
 * unreachable (connections refused), `hang()` accepts requests and never answers, `start()`
 * serves it again on the same port.
 */
export class LocalIdp {
  readonly issuer = 'https://idp.example.test';
  readonly audience = 'convene';
  private hanging = false;
  private port = 0;

  private constructor(
    private readonly keys: Record<'RS256' | 'ES256', CryptoKey>,
    private readonly jwks: object,
    private readonly server: Server,
  ) {}

  static async start(): Promise<LocalIdp> {
    const rs = await generateKeyPair('RS256');
    const es = await generateKeyPair('ES256');
    const jwks = {
      keys: [
        { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' },
      ],
    };
    const server = createServer();
    const idp = new LocalIdp({ RS256: rs.privateKey, ES256: es.privateKey }, jwks, server);
    server.on('request', (_req, res) => {
      if (idp.hanging) return; // never answers
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(idp.jwks));
    });
    await idp.start();
    return idp;
  }

  get jwksUrl(): string {
    return `http://127.0.0.1:${this.port}/jwks`;
  }

  /** The environment that makes an app accept this IdP's tokens. */
  get env(): Record<string, string> {
    return {
      CONVENE_JWKS_URL: this.jwksUrl,
      CONVENE_JWT_ISSUER: this.issuer,
      CONVENE_JWT_AUDIENCE: this.audience,
    };
  }

  async start(): Promise<void> {
    this.hanging = false;
    if (this.server.listening) return;
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  hang(): void {
    this.hanging = true;
  }

  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  sign(claims: Record<string, unknown>, options: IdpTokenOptions = {}): Promise<string> {
    const alg = options.alg ?? 'RS256';
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: alg === 'RS256' ? 'rs' : 'es' })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setSubject(options.subject ?? 'employee-4711')
      .setIssuedAt(options.issuedAt)
      .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 600)
      .sign(this.keys[alg]);
  }
}
