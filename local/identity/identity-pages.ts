/**
 * The local identity provider's own pages: sign-in, sign-out and errors. Plain HTML forms with labels, no script, one
 * small stylesheet from the provider's own path, and a Content-Security-Policy that allows nothing else (the forms may
 * post here, and the browser then follows the provider's redirects back to the page's origins).
 */

/** Where the pages' stylesheet is served, under the provider's path. */
export const IDENTITY_STYLESHEET = 'identity.css';

export const IDENTITY_CSS = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.4; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: Canvas; color: CanvasText; }
main { width: min(24rem, calc(100vw - 2rem)); padding: 1.5rem; border: 1px solid GrayText; border-radius: 0.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 0.25rem; }
p { margin: 0 0 1rem; }
.hint { color: GrayText; font-size: 0.9rem; }
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input { box-sizing: border-box; width: 100%; font: inherit; padding: 0.45rem 0.5rem; }
.actions { display: flex; gap: 0.75rem; align-items: center; margin-top: 1.25rem; }
button { font: inherit; padding: 0.45rem 1rem; cursor: pointer; }
.error { color: #b00020; font-weight: 600; }
@media (prefers-color-scheme: dark) { .error { color: #ff8a80; } }
`;

/** The CSP of every page of the provider: its own stylesheet, forms that post to itself, redirects back to `origins`. */
export function identityPageSecurityPolicy(origins: readonly string[]): string {
  return ["default-src 'none'", "style-src 'self'", `form-action 'self' ${origins.join(' ')}`, "base-uri 'none'", "frame-ancestors 'none'"].join('; ');
}

/** Text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(title: string, stylesheet: string, body: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${escapeHtml(title)} — waferwatch (local)</title>
    <link rel="stylesheet" href="${escapeHtml(stylesheet)}" />
  </head>
  <body>
    <main>
${body}
    </main>
  </body>
</html>
`;
}

/** The sign-in form: username, password, the error of the last try, and a way back without signing in. */
export function signInPage(input: { action: string; cancel: string; stylesheet: string; username?: string; error?: string }): string {
  const error = input.error
    ? `      <p id="sign-in-error" class="error" role="alert">${escapeHtml(input.error)}</p>\n`
    : '      <p id="sign-in-error" class="error" role="alert" hidden></p>\n';
  const described = input.error ? ' aria-describedby="sign-in-error" aria-invalid="true"' : '';
  return page(
    'Sign in',
    input.stylesheet,
    `      <h1>Sign in to waferwatch</h1>
      <p class="hint">Local stack: the users and their passwords are printed by <code>npm start</code> and kept in dev-credentials.json.</p>
${error}      <form method="post" action="${escapeHtml(input.action)}">
        <label for="username">Username</label>
        <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${escapeHtml(input.username ?? '')}"${described} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required${described} />
        <div class="actions">
          <button type="submit">Sign in</button>
          <a href="${escapeHtml(input.cancel)}">Cancel</a>
        </div>
      </form>`,
  );
}

/**
 * The sign-out question. `form` is the provider's own hidden form (its anti-forgery token); the buttons submit it, and
 * only "Sign out" ends the session.
 */
export function signOutPage(input: { form: string; stylesheet: string }): string {
  return page(
    'Sign out',
    input.stylesheet,
    `      <h1>Sign out of waferwatch?</h1>
      <p class="hint">This ends your sign-in on this local stack; the page asks you to sign in again.</p>
      ${input.form}
      <div class="actions">
        <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
        <button type="submit" form="op.logoutForm">Stay signed in</button>
      </div>`,
  );
}

/** After signing out without a page to go back to. */
export function signedOutPage(input: { stylesheet: string }): string {
  return page('Signed out', input.stylesheet, `      <h1>Signed out</h1>\n      <p>You are signed out of waferwatch on this local stack.</p>`);
}

/** A sign-in that cannot go on (an unknown client, a bad redirect, an expired attempt): what went wrong, in words. */
export function errorPage(input: { stylesheet: string; error: string; description?: string }): string {
  return page(
    'Sign-in problem',
    input.stylesheet,
    `      <h1>Sign-in problem</h1>
      <p class="error" role="alert">${escapeHtml(input.description ?? input.error)}</p>
      <p class="hint">Go back to the page and press Sign in again.</p>`,
  );
}
