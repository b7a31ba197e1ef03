import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PersonGroup } from '../functions/core/access';
import { writeSecretJson } from './identity/identity-files';

/** The file in the data folder (WAFERWATCH_DATA_DIR) that tells a developer, a script or a test how to get in. */
export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

/** A seeded person, as dev-credentials.json lists them: what to type on the sign-in page, and their group. */
export interface DevUser {
  username: string;
  password: string;
  group: PersonGroup;
  groups: PersonGroup[];
}

/** A seeded camera key: the value a camera sends as `x-api-key`, the one station it may send for, and its id. */
export interface DevCameraKey {
  apiKey: string;
  station: string;
  keyId: string;
}

/**
 * `<data folder>/dev-credentials.json` (mode 0600), written at every start of the local stack with sign-in on:
 * `{ "issuer", "clientId", "users": [{username, password, group, groups}], "cameraKeys": [{apiKey, station, keyId}] }`.
 * The users and the camera keys are the same at every start with the same data folder.
 */
export interface DevCredentials {
  /** The local OpenID provider (`iss` of its ID tokens; its discovery document is under it). */
  issuer: string;
  /** The page's client id (an ID token's `aud`). */
  clientId: string;
  users: DevUser[];
  cameraKeys: DevCameraKey[];
}

export function devCredentialsPath(dataDir: string): string {
  return path.join(dataDir, DEV_CREDENTIALS_FILE);
}

/** The file's content, or undefined when there is none (or it is not readable as such). */
export async function readDevCredentials(dataDir: string): Promise<DevCredentials | undefined> {
  try {
    const parsed = JSON.parse(await readFile(devCredentialsPath(dataDir), 'utf8')) as Partial<DevCredentials>;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    return {
      issuer: typeof parsed.issuer === 'string' ? parsed.issuer : '',
      clientId: typeof parsed.clientId === 'string' ? parsed.clientId : '',
      users: Array.isArray(parsed.users) ? parsed.users : [],
      cameraKeys: Array.isArray(parsed.cameraKeys)
        ? parsed.cameraKeys.filter(
            (key): key is DevCameraKey =>
              typeof key === 'object' && key !== null && typeof key.apiKey === 'string' && typeof key.station === 'string' && typeof key.keyId === 'string',
          )
        : [],
    };
  } catch {
    return undefined;
  }
}

/** Write the file (0600, replaced whole); answers its path. */
export async function writeDevCredentials(dataDir: string, credentials: DevCredentials): Promise<string> {
  const file = devCredentialsPath(dataDir);
  await writeSecretJson(file, credentials);
  return file;
}
