// Signing people in and out with oidc-client-ts (authorization code with PKCE, redirecting back to this page), against
// the OpenID provider config.json names: Amazon Cognito deployed, the local stack's own provider locally. The signed-in
// person's ID token is what the page sends to the API (`Authorization: Bearer …`); it is kept in this tab's
// sessionStorage only, and not renewed in the background: when it expires (an hour), the API answers 401 and the page
// asks the person to sign in again.

/** @import { PageAuthConfig } from './types.js' */
/** @import { User, UserManager } from 'oidc-client-ts' */

/**
 * The library's browser build, served beside the page from node_modules (local/page-vendor-files.ts; deploy:site
 * uploads the same file). It defines the global `oidc`.
 */
const LIBRARY_URL = 'vendor/oidc-client-ts.min.js';

/**
 * Someone signed in, as the page shows them.
 * @typedef {{ name: string, groups: string[], idToken: string }} SignedInPerson
 */

/**
 * The page's sign-in: who is signed in (null when nobody is), what went wrong coming back from the provider, and the
 * actions.
 * @typedef {{
 *   person: SignedInPerson | null,
 *   problem: string | null,
 *   signIn(): Promise<void>,
 *   signOut(): Promise<void>,
 *   idToken(): string | null,
 *   forget(): Promise<void>,
 * }} SignIn
 */

/**
 * Load the library, finish a sign-in the provider has just sent the browser back from (the `code` and `state` in the
 * address, which are then removed from it), and say who is signed in.
 * @param {PageAuthConfig} auth
 * @returns {Promise<SignIn>}
 */
export async function startSignIn(auth) {
  const oidc = await loadLibrary();
  // The page's own address, as registered with the provider (the user pool client's callback and sign-out URLs).
  const pageUrl = `${window.location.origin}/`;
  /** @type {UserManager} */
  const manager = new oidc.UserManager({
    authority: auth.authority,
    client_id: auth.clientId,
    redirect_uri: pageUrl,
    post_logout_redirect_uri: pageUrl,
    response_type: 'code',
    scope: auth.scope,
    userStore: new oidc.WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  });

  /** @type {string | null} */
  let problem = null;
  const params = new URLSearchParams(window.location.search);
  if (params.has('state') && (params.has('code') || params.has('error'))) {
    try {
      await manager.signinRedirectCallback();
    } catch (error) {
      problem = signInProblem(error);
    }
    // The code is used (or refused) either way: it must not stay in the address, the history or a bookmark.
    window.history.replaceState(null, '', `${pageUrl}${window.location.hash}`);
  }

  let user = await manager.getUser();
  if (user && user.expired !== false) {
    await manager.removeUser();
    user = null;
  }

  return {
    person: user ? personOf(user) : null,
    problem,
    idToken: () => (user && user.expired === false ? (user.id_token ?? null) : null),
    signIn: () => manager.signinRedirect(),
    async signOut() {
      const signedIn = await manager.getUser();
      user = null;
      if (auth.signOutUrl) {
        // Cognito's managed login signs out at its own /logout (not in its discovery document), then returns here.
        await manager.removeUser();
        const signOut = new URL(auth.signOutUrl);
        signOut.searchParams.set('client_id', auth.clientId);
        signOut.searchParams.set('logout_uri', pageUrl);
        window.location.assign(signOut.href);
        return;
      }
      await manager.signoutRedirect(signedIn?.id_token ? { id_token_hint: signedIn.id_token } : {});
    },
    async forget() {
      user = null;
      await manager.removeUser();
    },
  };
}

/**
 * @param {User} user
 * @returns {SignedInPerson}
 */
function personOf(user) {
  const profile = user.profile;
  const groups = profile['cognito:groups'];
  const name = [profile.name, profile.email, profile['cognito:username'], profile.sub].find((value) => typeof value === 'string' && value.trim() !== '');
  return {
    name: typeof name === 'string' ? name : 'someone',
    groups: Array.isArray(groups) ? groups.filter((group) => typeof group === 'string') : [],
    idToken: user.id_token ?? '',
  };
}

/**
 * What to tell the person when the provider sent them back without a sign-in.
 * @param {unknown} error
 * @returns {string}
 */
function signInProblem(error) {
  const details = /** @type {{ error?: unknown, error_description?: unknown, message?: unknown }} */ (error ?? {});
  if (details.error === 'access_denied') return 'The sign-in was cancelled.';
  const description = typeof details.error_description === 'string' ? details.error_description : typeof details.message === 'string' ? details.message : '';
  return `The sign-in did not complete${description ? `: ${description}` : ''}. Try again.`;
}

/**
 * The library, loaded once by a script element (its browser build is not a module).
 * @returns {Promise<typeof import('oidc-client-ts')>}
 */
function loadLibrary() {
  const host = /** @type {{ oidc?: typeof import('oidc-client-ts') }} */ (/** @type {unknown} */ (window));
  if (host.oidc) return Promise.resolve(host.oidc);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = LIBRARY_URL;
    script.addEventListener('load', () => (host.oidc ? resolve(host.oidc) : reject(new Error(`${LIBRARY_URL} did not define the sign-in library`))));
    script.addEventListener('error', () => reject(new Error(`${LIBRARY_URL} could not be loaded`)));
    document.head.append(script);
  });
}
