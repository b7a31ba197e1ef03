import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevCredentials } from '../../../local/dev-credentials';
import { signIn } from '../../helpers/local-sign-in';
import { startNpmStart, type NpmStartProcess } from '../../helpers/npm-start-process';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

/** A port free right now, so two starts in a row can use the same one (and so the same issuer). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm start` with sign-in on (WAFERWATCH_AUTH's default), stopped and started again on the same data folder. */
describe('npm start with sign-in on', () => {
  let folder: string;
  let dataDir: string;
  let port: number;
  let stack: NpmStartProcess | undefined;
  let first: DevCredentials;
  let firstOutput: string;
  let idToken: string;
  let wafer: Uint8Array;
  const readCredentials = async () => JSON.parse(await readFile(path.join(dataDir, 'dev-credentials.json'), 'utf8')) as DevCredentials;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-npm-sign-in-'));
    dataDir = path.join(folder, 'data');
    port = await freePort();
    wafer = (await makeTestWaferImage({ width: 96, height: 96 })).bytes;
    stack = await startNpmStart({ WAFERWATCH_DATA_DIR: dataDir, PORT: String(port), DETECTOR: 'lookoutvision' });
    firstOutput = stack.output();
    first = await readCredentials();
    const engineer = first.users.find((user) => user.group === 'engineer')!;
    idToken = await signIn(stack.url, first, engineer.username, engineer.password);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it('prints each seeded user with their password and group, and where the camera keys are', () => {
    // Assess
    for (const user of first.users) expect(firstOutput).toMatch(new RegExp(`user ${user.username} +password ${user.password} +group ${user.group}\\b`));
    expect(firstOutput).toContain(`camera keys (x-api-key) for default, and the users, in ${path.join(dataDir, 'dev-credentials.json')}`);
    // The camera key's value stays in the file: never on the console.
    expect(firstOutput).not.toContain(first.cameraKeys[0]!.apiKey);
    expect(first.cameraKeys.map((key) => key.station)).toEqual(['default']);
  });

  it('keeps the users, their passwords, the camera keys and the signing key across a restart', async () => {
    // Prepare
    const before = await fetch(`${stack!.url}/inspections`, { headers: { authorization: `Bearer ${idToken}` } });

    // Act
    await stack!.stop();
    stack = await startNpmStart({ WAFERWATCH_DATA_DIR: dataDir, PORT: String(port), DETECTOR: 'lookoutvision' });
    const again = await readCredentials();
    const engineer = again.users.find((user) => user.group === 'engineer')!;
    const sameToken = await fetch(`${stack.url}/inspections`, { headers: { authorization: `Bearer ${idToken}` } });
    const newSignIn = await signIn(stack.url, again, engineer.username, engineer.password);
    const camera = await fetch(`${stack.url}/inspections`, {
      method: 'POST',
      headers: { 'x-api-key': again.cameraKeys[0]!.apiKey, 'content-type': 'image/png' },
      body: wafer,
    });

    // Assess
    expect(before.status).toBe(200);
    expect(again).toEqual(first);
    // Signed with the key kept in the data folder, by the same issuer: the token of before the restart still works.
    expect(sameToken.status).toBe(200);
    expect(newSignIn).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(camera.status).toBe(201);
    expect(((await camera.json()) as { stationId: string }).stationId).toBe('default');
  }, 90_000);

  it('WAFERWATCH_AUTH=off: no sign-in, config.json says so, and every API request is let in', async () => {
    // Act
    await stack!.stop();
    stack = await startNpmStart({ WAFERWATCH_DATA_DIR: dataDir, DETECTOR: 'lookoutvision', WAFERWATCH_AUTH: 'off' });
    const config = (await (await fetch(`${stack.url}/config.json`)).json()) as { auth: unknown; local: boolean };
    const listed = await fetch(`${stack.url}/inspections`);
    const provider = await fetch(`${stack.url}/_local/identity/.well-known/openid-configuration`);

    // Assess
    expect(stack.output()).toContain('WAFERWATCH_AUTH=off: no sign-in and no camera keys');
    expect(config).toEqual({ apiBaseUrl: stack.url, auth: null, local: true });
    expect(listed.status).toBe(200);
    expect(provider.status).toBe(404);
  }, 90_000);

  it('refuses to start with any other WAFERWATCH_AUTH, saying which values it takes', async () => {
    // Prepare
    await stack!.stop();
    stack = undefined;

    // Act
    const refused = startNpmStart({ WAFERWATCH_DATA_DIR: dataDir, WAFERWATCH_AUTH: 'maybe' }, 30_000);

    // Assess
    await expect(refused).rejects.toThrow(/WAFERWATCH_AUTH must be "on" .* or "off" .*, not "maybe"/);
  }, 60_000);
});
