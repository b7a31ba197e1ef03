/**
 * WAFERWATCH_AUTH: whether the local stack asks who is calling. `on` (the default) enforces what the deployed API does:
 * people sign in at the local OpenID provider, cameras send their own keys. `off` is for scripts and demos: no sign-in,
 * no keys, every API request is a signed-in person of every group (LOCAL_DEMO_PERSON). The deployed API has no such
 * switch.
 */
export type AuthMode = 'on' | 'off';

/** The setting's name, as `npm start` reads it from the shell. */
export const AUTH_SETTING = 'WAFERWATCH_AUTH';

/** `on` or `off` (any case, surrounding blanks ignored; unset or empty is `on`); anything else throws, naming the setting. */
export function parseAuthMode(value: string | undefined): AuthMode {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'on') return 'on';
  if (text === 'off') return 'off';
  throw new Error(
    `${AUTH_SETTING} must be "on" (sign-in and camera keys, as deployed; the default) or "off" (no sign-in, for scripts and demos), not "${value}".`,
  );
}
