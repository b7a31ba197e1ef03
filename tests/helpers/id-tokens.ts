import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A signing key with its public JWK (RS256, as Cognito's). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export function newSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

/** A JWT signed RS256 with `key` (header kid = key.kid). */
export function signJwt(key: SigningKey, payload: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${encode(payload)}`;
  return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key.privateKey).toString('base64url')}`;
}

/**
 * A token issuer on loopback, as far as a verifier sees one: its JWKS at <issuer>/.well-known/jwks.json (where Cognito
 * publishes it), and ID tokens shaped like Cognito's (`token_use: id`, `cognito:groups`).
 */
export interface TestIssuer {
  issuer: string;
  clientId: string;
  key: SigningKey;
  /** An ID token of this issuer, valid for an hour unless `claims` say otherwise. */
  idToken(claims?: Record<string, unknown>, key?: SigningKey): string;
  close(): Promise<void>;
}

export async function startTestIssuer(clientId = 'page-client'): Promise<TestIssuer> {
  const key = newSigningKey('test-key-1');
  const server: Server = createServer((request, response) => {
    if (request.url === '/.well-known/jwks.json') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ keys: [key.publicJwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId,
    key,
    idToken(claims = {}, signingKey = key) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(signingKey, {
        sub: 'user-1',
        iss: issuer,
        aud: clientId,
        token_use: 'id',
        iat: now,
        exp: now + 3600,
        'cognito:username': 'olivia',
        name: 'Olivia Operator',
        'cognito:groups': ['operator'],
        ...claims,
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
