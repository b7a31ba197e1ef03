import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import Provider, { type Account, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { IDENTITY_FOLDER, loadOrCreateProviderKeys, loadOrCreateUsers, type LocalUser } from './identity-files';
import { errorPage, IDENTITY_CSS, IDENTITY_STYLESHEET, identityPageSecurityPolicy, signedOutPage, signInPage, signOutPage } from './identity-pages';
import { LOCAL_IDENTITY_PATH, LOCAL_PAGE_CLIENT_ID, PAGE_SCOPE } from './identity-names';
import { createMemoryAdapterFactory } from './memory-adapter';

/** ID tokens last an hour, as the user pool client's (IdTokenValidity: 1 hour). */
const ID_TOKEN_TTL_SECONDS = 3_600;

export interface LocalIdentityProviderOptions {
  /** The stack's own origin, e.g. `http://localhost:3000`: the issuer is this origin with LOCAL_IDENTITY_PATH. */
  origin: string;
  /** Origins the page is opened at (`http://localhost:<port>`, `http://127.0.0.1:<port>`): `<origin>/` is where sign-in and sign-out return. */
  pageOrigins: readonly string[];
  /** The data folder (WAFERWATCH_DATA_DIR): the signing key and the users are kept in its identity/ folder. */
  dataDir: string;
}

/** The OpenID provider of the local stack. */
export interface LocalIdentityProvider {
  /** The `iss` of its tokens: `<origin>/_local/identity`. */
  issuer: string;
  clientId: string;
  /** Where it publishes its keys (as Cognito does: `<issuer>/.well-known/jwks.json`). */
  jwksUri: string;
  /** The seeded people, one per group. */
  users: readonly LocalUser[];
  /** Serve a request under LOCAL_IDENTITY_PATH; false (nothing written) for any other path. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

/**
 * Start the local OpenID provider (oidc-provider, in this process): authorization code with PKCE for one public client
 * (the page), RS256 ID tokens that look like Cognito's (`cognito:username`, `cognito:groups`, `token_use: id`, an hour),
 * a sign-in page of our own that checks the seeded users' passwords, and RP-initiated sign-out. The signing key and the
 * users are made at the first start and kept in `<dataDir>/identity/`.
 */
export async function startLocalIdentityProvider(options: LocalIdentityProviderOptions): Promise<LocalIdentityProvider> {
  const identityDir = path.join(options.dataDir, IDENTITY_FOLDER);
  const [keys, users] = await Promise.all([loadOrCreateProviderKeys(identityDir), loadOrCreateUsers(identityDir)]);
  const issuer = `${options.origin}${LOCAL_IDENTITY_PATH}`;
  const pageUrls = [...new Set(options.pageOrigins)].map((origin) => `${origin}/`);
  const pageOrigins = [...new Set(options.pageOrigins)];
  const stylesheet = `${LOCAL_IDENTITY_PATH}/${IDENTITY_STYLESHEET}`;
  const securityPolicy = identityPageSecurityPolicy(pageOrigins);
  const bySubject = new Map(users.map((user) => [user.subject, user]));

  const html = (ctx: KoaContextWithOIDC, body: string) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', securityPolicy);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  const configuration: Configuration = {
    adapter: createMemoryAdapterFactory(),
    clients: [
      {
        client_id: LOCAL_PAGE_CLIENT_ID,
        client_name: 'waferwatch page (local)',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: pageUrls,
        post_logout_redirect_uris: pageUrls,
      },
    ],
    // PKCE (S256) for every authorization request, whatever the client.
    pkce: { required: () => true },
    jwks: { keys: [keys.signingKey] },
    cookies: { keys: keys.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
    // Cognito's claims, each under a scope the page asks for. The ID token carries them itself (the API reads it, not
    // userinfo), so the claims are not held back for userinfo as conformIdTokenClaims would.
    claims: {
      openid: ['sub', 'token_use', 'cognito:username', 'cognito:groups'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    conformIdTokenClaims: false,
    findAccount: (_ctx: unknown, subject: string): Account | undefined => {
      const user = bySubject.get(subject);
      if (!user) return undefined;
      return {
        accountId: user.subject,
        claims: () => ({
          sub: user.subject,
          token_use: 'id',
          'cognito:username': user.username,
          'cognito:groups': [...user.groups],
          email: user.email,
          email_verified: true,
          name: user.name,
        }),
      };
    },
    routes: { jwks: '/.well-known/jwks.json' },
    ttl: {
      AccessToken: ID_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: ID_TOKEN_TTL_SECONDS,
      Interaction: 600,
      Session: 12 * 3_600,
      Grant: 12 * 3_600,
      RefreshToken: 12 * 3_600,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${LOCAL_IDENTITY_PATH}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => html(ctx, signOutPage({ form, stylesheet })),
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => html(ctx, signedOutPage({ stylesheet })),
      },
    },
    // The token endpoint answers the page from either of its origins (it may be opened at 127.0.0.1 or localhost).
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris: string[] }) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    renderError: (ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }) =>
      html(ctx, errorPage({ stylesheet, error: out.error, ...(out.error_description ? { description: out.error_description } : {}) })),
  };
  const provider = new Provider(issuer, configuration);
  const serveProvider = provider.callback();

  const interactionRoute = new RegExp(`^${LOCAL_IDENTITY_PATH}/interaction/([A-Za-z0-9_-]+)(/login|/abort)?$`);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const rawUrl = request.url ?? '/';
    const pathname = rawUrl.split('?')[0] ?? '/';
    if (pathname !== LOCAL_IDENTITY_PATH && !pathname.startsWith(`${LOCAL_IDENTITY_PATH}/`)) return false;
    const method = (request.method ?? 'GET').toUpperCase();

    if (pathname === stylesheet && (method === 'GET' || method === 'HEAD')) {
      response.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      response.end(method === 'HEAD' ? undefined : IDENTITY_CSS);
      return true;
    }

    const interaction = interactionRoute.exec(pathname);
    if (interaction) {
      await serveInteraction(request, response, method, interaction[2] ?? '');
      return true;
    }

    // Everything else is the provider's own (discovery, keys, authorization, token, sign-out), which routes on the path
    // below its mount point and builds its URLs from the original one.
    const mounted = request as IncomingMessage & { originalUrl?: string };
    mounted.originalUrl = rawUrl;
    request.url = rawUrl.slice(LOCAL_IDENTITY_PATH.length) || '/';
    await new Promise<void>((resolve) => {
      response.once('close', () => resolve());
      response.once('finish', () => resolve());
      serveProvider(request, response);
    });
    return true;
  }

  /** The sign-in of one authorization request: the form, a submitted form, or cancelling. */
  async function serveInteraction(request: IncomingMessage, response: ServerResponse, method: string, action: string): Promise<void> {
    let details;
    try {
      details = await provider.interactionDetails(request, response);
    } catch {
      // No interaction cookie, or an expired attempt.
      sendHtml(response, 400, errorPage({ stylesheet, error: 'expired', description: 'This sign-in attempt has expired or was already used.' }));
      return;
    }
    const base = `${LOCAL_IDENTITY_PATH}/interaction/${details.uid}`;
    if (action === '/abort') {
      await provider.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: 'The sign-in was cancelled.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : LOCAL_PAGE_CLIENT_ID;
    if (details.prompt.name !== 'login' && details.session?.accountId) {
      // Signed in already (a session of this process), only the grant is missing: the page is our own client.
      await finish(request, response, details.session.accountId, clientId, details.params.scope);
      return;
    }
    if (action === '/login' && method === 'POST') {
      const form = new URLSearchParams((await readBody(request)).toString('utf8'));
      const username = (form.get('username') ?? '').trim();
      const user = findUser(users, username, form.get('password') ?? '');
      if (!user) {
        // The form again, with why (200: a page for a person, not a challenge for a client).
        sendHtml(
          response,
          200,
          signInPage({ action: `${base}/login`, cancel: `${base}/abort`, stylesheet, username, error: 'The username or password is not right. Try again.' }),
        );
        return;
      }
      await finish(request, response, user.subject, clientId, details.params.scope);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendHtml(response, 405, errorPage({ stylesheet, error: 'method_not_allowed', description: 'Use the sign-in form.' }));
      return;
    }
    sendHtml(response, 200, signInPage({ action: `${base}/login`, cancel: `${base}/abort`, stylesheet }));
  }

  /** Signed in: the grant of the page's scopes (our own client asks no consent) and back to the authorization. */
  async function finish(request: IncomingMessage, response: ServerResponse, accountId: string, clientId: string, scope: unknown): Promise<void> {
    const grant = new provider.Grant({ accountId, clientId });
    grant.addOIDCScope(typeof scope === 'string' && scope.length > 0 ? scope : PAGE_SCOPE);
    const grantId = await grant.save();
    await provider.interactionFinished(request, response, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  function sendHtml(response: ServerResponse, status: number, body: string): void {
    response.writeHead(status, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Content-Security-Policy': securityPolicy,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    response.end(body);
  }

  return { issuer, clientId: LOCAL_PAGE_CLIENT_ID, jwksUri: `${issuer}/.well-known/jwks.json`, users, handle };
}

/** The user with this username (any case) and password, compared in constant time; undefined otherwise. */
function findUser(users: readonly LocalUser[], username: string, password: string): LocalUser | undefined {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  let found: LocalUser | undefined;
  for (const user of users) {
    // Every user's password is compared, so the time taken does not say which usernames exist.
    const matches = timingSafeEqual(digest(user.password), digest(password));
    if (matches && user.username.toLowerCase() === username.toLowerCase()) found = user;
  }
  return found;
}

/** The body of a sign-in form: small (at most 16 KiB). */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    // Read to the end (so the answer can be written), keep only the first 16 KiB.
    if (size <= 16 * 1024) chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
