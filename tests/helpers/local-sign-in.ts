import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readDevCredentials, type DevCredentials } from '../../local/dev-credentials';
import type { SigningKey } from './id-tokens';

/**
 * Sign in on a local stack the way the page does, without a browser: authorization code with PKCE at the local OpenID
 * provider, the provider's own sign-in form posted with the user's password, the code exchanged for tokens. Answers the
 * ID token (what the page sends as `Authorization: Bearer …`).
 */
export async function signIn(stackUrl: string, credentials: Pick<DevCredentials, 'issuer' | 'clientId'>, username: string, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string> | undefined), cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const equals = pair.indexOf('=');
      jar.set(pair.slice(0, equals), pair.slice(equals + 1));
    }
    return response;
  };
  const location = (response: Response) => {
    const to = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !to) throw new Error(`expected a redirect, got ${response.status}`);
    return new URL(to, stackUrl).href;
  };

  const discovery = (await (await fetch(`${credentials.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = `${stackUrl}/`;
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: credentials.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: redirectUri,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const signInForm = location(await send(authorize.href));
  const submitted = await send(`${signInForm}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  if (submitted.status !== 303) throw new Error(`${username} could not sign in (the sign-in form answered ${submitted.status}, not a redirect)`);
  const back = location(await send(location(submitted)));
  const code = new URL(back).searchParams.get('code');
  if (!code) throw new Error(`no code in ${back}`);
  const tokens = await send(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: credentials.clientId,
      code_verifier: verifier,
    }).toString(),
  });
  const body = (await tokens.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no ID token: ${JSON.stringify(body)}`);
  return body.id_token;
}

/** The stack's dev-credentials.json; throws when the stack has none (WAFERWATCH_AUTH=off). */
export async function devCredentials(dataDir: string): Promise<DevCredentials> {
  const credentials = await readDevCredentials(dataDir);
  if (!credentials) throw new Error(`no dev-credentials.json in ${dataDir}`);
  return credentials;
}

/** The local provider's own signing key, from the data folder: tests mint tokens with claims no seeded user has. */
export async function localSigningKey(dataDir: string): Promise<SigningKey> {
  const stored = JSON.parse(await readFile(path.join(dataDir, 'identity', 'provider-keys.json'), 'utf8')) as {
    signingKey: Record<string, unknown> & { kid: string };
  };
  const { kid, alg: _alg, use: _use, ...jwk } = stored.signingKey;
  const privateKey = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } };
}
