import { generateKeyPairSync, randomBytes, randomUUID, type JsonWebKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PERSON_GROUPS, type PersonGroup } from '../../functions/core/access';

/**
 * What the local identity provider keeps in the data folder (`<WAFERWATCH_DATA_DIR>/identity/`), made at the first
 * start and read again at every later one, so a restarted stack signs with the same key (tokens it issued stay valid)
 * and its people keep their passwords:
 * - `provider-keys.json`: the RS256 signing key (a private JWK) and the keys its cookies are signed with;
 * - `users.json`: the seeded people, one per group, with their random passwords.
 * Both are written with mode 0600: they are secrets of this machine's stack, never of a deployment.
 */
export const IDENTITY_FOLDER = 'identity';

/** One seeded person of the local stack. */
export interface LocalUser {
  /** What they type to sign in (also `cognito:username` in their ID token). */
  username: string;
  password: string;
  /** Their one group, and the groups their ID token carries (`cognito:groups`). */
  group: PersonGroup;
  groups: PersonGroup[];
  /** The stable subject (`sub`), a UUID as Cognito's. */
  subject: string;
  /** Shown on the page and kept on records ("acknowledged by"). */
  name: string;
  email: string;
}

/** The provider's own secrets. */
export interface ProviderKeys {
  /** The RS256 signing key as a private JWK with `kid`, `alg` and `use`. */
  signingKey: JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };
  /** Keys the provider signs its session and interaction cookies with. */
  cookieKeys: string[];
}

/** The seeded people: one per group of functions/core/access.ts, named after it. */
const SEEDED = PERSON_GROUPS.map((group) => ({ username: group, group, name: `Local ${group}`, email: `${group}@waferwatch.local` }));

/** The users of `<identityDir>/users.json`, with a new one (and a new random password) for any group it lacks. */
export async function loadOrCreateUsers(identityDir: string): Promise<LocalUser[]> {
  const file = path.join(identityDir, 'users.json');
  const stored = await readJson<{ users?: unknown }>(file);
  const previous = Array.isArray(stored?.users) ? stored.users.filter(isLocalUser) : [];
  const users = SEEDED.map(
    (seed): LocalUser =>
      previous.find((user) => user.username === seed.username) ?? {
        ...seed,
        groups: [seed.group],
        password: newPassword(),
        subject: randomUUID(),
      },
  );
  if (JSON.stringify(users) !== JSON.stringify(previous)) await writeSecretJson(file, { users });
  return users;
}

/** The signing key and cookie keys of `<identityDir>/provider-keys.json`, made (RSA 2048) when there are none. */
export async function loadOrCreateProviderKeys(identityDir: string): Promise<ProviderKeys> {
  const file = path.join(identityDir, 'provider-keys.json');
  const stored = await readJson<Partial<ProviderKeys>>(file);
  if (stored?.signingKey?.kty === 'RSA' && stored.signingKey.d && Array.isArray(stored.cookieKeys) && stored.cookieKeys.length > 0) {
    return stored as ProviderKeys;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys: ProviderKeys = {
    signingKey: { ...privateKey.export({ format: 'jwk' }), kid: `local-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
  await writeSecretJson(file, keys);
  return keys;
}

/** A password a person can still type: 20 characters of letters and digits, ~119 bits. */
function newPassword(): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
}

function isLocalUser(value: unknown): value is LocalUser {
  if (typeof value !== 'object' || value === null) return false;
  const user = value as Record<string, unknown>;
  return (
    ['username', 'password', 'subject', 'name', 'email'].every((field) => typeof user[field] === 'string' && user[field] !== '') &&
    PERSON_GROUPS.includes(user.group as PersonGroup) &&
    Array.isArray(user.groups) &&
    user.groups.every((group) => PERSON_GROUPS.includes(group as PersonGroup))
  );
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Write JSON readable by this user only (0600), whole or not at all (a temporary file renamed over the old one). */
export async function writeSecretJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  // The mode of a new file is masked by the umask; say it again.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
