// The local OpenID provider's names the stack needs whether or not it runs one: in a module of their own, so a stack
// without sign-in (WAFERWATCH_AUTH=off) never loads the provider (oidc-provider and its Koa app: about 7 MB of heap
// the stack's garbage collections would otherwise mark on every cycle, and 0.1 s of its start).

/** Where the provider is mounted on the local stack's own origin, so the page needs no other origin in its CSP. */
export const LOCAL_IDENTITY_PATH = '/_local/identity';

/** The page's client: public (no secret), authorization code with PKCE only. */
export const LOCAL_PAGE_CLIENT_ID = 'waferwatch-local-page';

/** What the page asks for, as it asks Cognito (the scopes the user pool client allows). */
export const PAGE_SCOPE = 'openid email profile';
