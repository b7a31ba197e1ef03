import { stat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UpdateApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeCameraKey } from '../../../deploy/camera-keys';
import { createApiGatewayClient, createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { LOCAL_API_STAGE, LOCAL_REST_API_ID } from '../../../local/camera-key-seed';
import type { DevCredentials } from '../../../local/dev-credentials';
import { PROJECT_ROOT, startLocalStack, type LocalStack } from '../../../local/local-stack';
import { readServerlessApi } from '../../../local/serverless-routes';
import { newSigningKey, signJwt, type SigningKey } from '../../helpers/id-tokens';
import { localSigningKey, signIn } from '../../helpers/local-sign-in';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

const STATION_A = 'line-a';
const STATION_B = 'line-b';
const SOME_ID = '01KMB6Z0N7Q9TS7W9M2J8VQ3CA';
/** Long enough for a camera plan's bucket (burst 5, 2 a second) to be full again after the requests of a test before. */
const REFILL_MS = 2_600;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the API answers a refused caller: JSON `{"error": {"code", "message"}}` with a stable code. */
async function refusal(response: Response): Promise<{ status: number; code: string; message: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
  return { status: response.status, code: body.error!.code as string, message: body.error!.message as string };
}

/** The local stack with sign-in on (WAFERWATCH_AUTH's default) and two stations, each with its seeded camera key. */
describe('the local API gateway enforces who may call, as the deployed one', () => {
  let folder: string;
  let dataDir: string;
  let stack: LocalStack;
  let credentials: DevCredentials;
  let providerKey: SigningKey;
  let wafer: Uint8Array;
  const keyOf = (station: string) => credentials.cameraKeys.find((key) => key.station === station)!;
  const passwordOf = (username: string) => credentials.users.find((user) => user.username === username)!.password;

  /** An ID token of the local provider (its own key from the data folder), with `claims` over a valid operator's. */
  const token = (claims: Record<string, unknown> = {}, key: SigningKey = providerKey) => {
    const now = Math.floor(Date.now() / 1000);
    return signJwt(key, {
      sub: 'minted-user',
      iss: credentials.issuer,
      aud: credentials.clientId,
      token_use: 'id',
      iat: now,
      exp: now + 3600,
      'cognito:username': 'minted',
      name: 'Minted Person',
      'cognito:groups': ['operator'],
      ...claims,
    });
  };

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-access-'));
    dataDir = path.join(folder, '.data');
    const stationsFile = path.join(folder, 'stations.json');
    const ladder = [{ name: 'Operator', phone: '+15555550100' }];
    await writeFile(stationsFile, JSON.stringify({ stations: [STATION_A, STATION_B].map((id) => ({ id, name: id, escalation: ladder })) }));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      env: { DETECTOR: 'lookoutvision', POWERTOOLS_LOG_LEVEL: 'SILENT', STATIONS_FILE: stationsFile, STATION_CALL_COOLDOWN_SECONDS: '0' },
    });
    if (stack.auth.mode !== 'on') throw new Error('sign-in should be on by default');
    credentials = stack.auth.credentials;
    providerKey = await localSigningKey(dataDir);
    wafer = (await makeTestWaferImage({ width: 96, height: 96 })).bytes;
  });

  afterAll(async () => {
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('refuses every API route of serverless.yml without credentials, or with made-up ones, with 401/403 JSON and a stable code', async () => {
    // Prepare
    const { routes } = await readServerlessApi(path.join(PROJECT_ROOT, 'serverless.yml'));
    const attempts: Array<{ headers: Record<string, string>; request: number; cognito: number }> = [
      { headers: {}, request: 401, cognito: 401 },
      { headers: { authorization: 'Bearer not.a.token' }, request: 401, cognito: 401 },
      { headers: { authorization: 'Basic b3BlcmF0b3I6cGFzc3dvcmQ=' }, request: 401, cognito: 401 },
      // A key nobody was given: the request authorizer denies it; the people-only routes do not take keys at all.
      { headers: { 'x-api-key': 'made-up-key-0123456789abcdefghij' }, request: 403, cognito: 401 },
    ];

    // Act + Assess
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const route of routes) {
      expect(route.authorizer.kind, `${route.method} ${route.resource} has an authorizer`).not.toBe('none');
      const url = `${stack.url}${route.resource.replace(/\{[^}]+\}/g, SOME_ID)}`;
      for (const attempt of attempts) {
        const response = await fetch(url, {
          method: route.method,
          headers: { 'content-type': 'image/png', ...attempt.headers },
          ...(route.method === 'POST' ? { body: wafer } : {}),
        });
        const answer = await refusal(response);
        const expected = route.authorizer.kind === 'cognito' ? attempt.cognito : attempt.request;
        expect(answer.status, `${route.method} ${route.resource} ${JSON.stringify(attempt.headers)}`).toBe(expected);
        expect(answer.code).toBe(expected === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      }
    }
  });

  it('serves a seeded person signed in at the local provider, on the people routes and the shared ones', async () => {
    // Prepare
    const idToken = await signIn(stack.url, credentials, 'operator', passwordOf('operator'));
    const authorization = { authorization: `Bearer ${idToken}` };

    // Act
    const uploaded = await fetch(`${stack.url}/inspections?station=${STATION_B}`, {
      method: 'POST',
      headers: { ...authorization, 'content-type': 'image/png' },
      body: wafer,
    });
    const record = (await uploaded.json()) as { inspectionId: string; stationId: string };
    const listed = await fetch(`${stack.url}/inspections`, { headers: authorization });
    const fetched = await fetch(`${stack.url}/inspections/${record.inspectionId}`, { headers: authorization });
    const stations = await fetch(`${stack.url}/stations`, { headers: authorization });

    // Assess: a person names the station (here B); the token of the same sign-in works on every route.
    expect(uploaded.status).toBe(201);
    expect(record.stationId).toBe(STATION_B);
    expect(listed.status).toBe(200);
    expect(fetched.status).toBe(200);
    expect(stations.status).toBe(200);
  });

  it('refuses a token from another issuer, an expired one, a forged one, one for another client, an access token and one without a group', async () => {
    // Prepare
    const forger = newSigningKey(providerKey.kid);
    const now = Math.floor(Date.now() / 1000);
    const tokens: Record<string, { token: string; request: [number, string]; cognito: [number, string] }> = {
      'valid operator': { token: token(), request: [200, ''], cognito: [200, ''] },
      'another issuer': { token: token({ iss: 'http://localhost:1/_local/identity' }), request: [401, 'UNAUTHENTICATED'], cognito: [401, 'UNAUTHENTICATED'] },
      expired: { token: token({ iat: now - 7200, exp: now - 3600 }), request: [401, 'UNAUTHENTICATED'], cognito: [401, 'UNAUTHENTICATED'] },
      'forged (another key, same kid)': { token: token({}, forger), request: [401, 'UNAUTHENTICATED'], cognito: [401, 'UNAUTHENTICATED'] },
      'another client id': { token: token({ aud: 'someone-elses-app' }), request: [401, 'UNAUTHENTICATED'], cognito: [401, 'UNAUTHENTICATED'] },
      'an access token': { token: token({ token_use: 'access' }), request: [401, 'UNAUTHENTICATED'], cognito: [401, 'UNAUTHENTICATED'] },
      // Signed in, but in no group: the request authorizer denies; the Cognito route lets the handler refuse the right.
      'no group': { token: token({ 'cognito:groups': [] }), request: [403, 'FORBIDDEN'], cognito: [403, 'FORBIDDEN'] },
      'only an unknown group': { token: token({ 'cognito:groups': ['visitors'] }), request: [403, 'FORBIDDEN'], cognito: [403, 'FORBIDDEN'] },
    };

    for (const [name, { token: idToken, request, cognito }] of Object.entries(tokens)) {
      // Act: GET /inspections/{id} (request authorizer) and GET /inspections (Cognito authorizer)
      const shared = await fetch(`${stack.url}/inspections/${SOME_ID}`, { headers: { authorization: `Bearer ${idToken}` } });
      const people = await fetch(`${stack.url}/inspections`, { headers: { authorization: `Bearer ${idToken}` } });

      // Assess
      if (request[0] === 200) {
        // Let through: the route itself answers (no such inspection).
        expect(shared.status, name).toBe(404);
        expect(people.status, name).toBe(200);
        continue;
      }
      expect(await refusal(shared), name).toMatchObject({ status: request[0], code: request[1] });
      expect(await refusal(people), name).toMatchObject({ status: cognito[0], code: cognito[1] });
    }
    const expired = await fetch(`${stack.url}/inspections`, { headers: { authorization: `Bearer ${tokens.expired!.token}` } });
    expect((await refusal(expired)).message).toBe('The sign-in has expired; sign in again.');
  });

  it("binds a camera key to its station: naming another is 403 STATION_NOT_PERMITTED, naming none inspects under the key's", async () => {
    // Prepare
    const cameraA = { 'x-api-key': keyOf(STATION_A).apiKey, 'content-type': 'image/png' };
    const other = (await makeTestWaferImage({ width: 96, height: 96, grey: 120 })).bytes;

    // Act
    const namingB = await fetch(`${stack.url}/inspections?station=${STATION_B}`, { method: 'POST', headers: cameraA, body: wafer });
    const namingBInHeader = await fetch(`${stack.url}/inspections`, { method: 'POST', headers: { ...cameraA, 'x-station-id': STATION_B }, body: wafer });
    const grantForB = await fetch(`${stack.url}/uploads?station=${STATION_B}`, { method: 'POST', headers: { 'x-api-key': keyOf(STATION_A).apiKey } });
    const naming = await fetch(`${stack.url}/inspections`, { method: 'POST', headers: cameraA, body: other });
    const record = (await naming.json()) as { inspectionId: string; stationId: string };
    const readBack = await fetch(`${stack.url}/inspections/${record.inspectionId}`, { headers: { 'x-api-key': keyOf(STATION_A).apiKey } });
    const readByB = await fetch(`${stack.url}/inspections/${record.inspectionId}`, { headers: { 'x-api-key': keyOf(STATION_B).apiKey } });
    const history = await fetch(`${stack.url}/inspections`, { headers: { 'x-api-key': keyOf(STATION_A).apiKey } });

    // Assess
    for (const refused of [namingB, namingBInHeader, grantForB]) expect(await refusal(refused)).toMatchObject({ status: 403, code: 'STATION_NOT_PERMITTED' });
    expect(naming.status).toBe(201);
    expect(record.stationId).toBe(STATION_A);
    expect(readBack.status).toBe(200);
    // Another station's camera does not see it; the history is for people (a Cognito route: no keys).
    expect(await refusal(readByB)).toMatchObject({ status: 404, code: 'INSPECTION_NOT_FOUND' });
    expect(await refusal(history)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it("meters each camera key on its own usage plan: a burst past B's plan is 429 THROTTLED, A's key is untouched", async () => {
    // Prepare
    await pause(REFILL_MS);

    // Act: more than the plan's burst (5) at once
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${stack.url}/inspections/${SOME_ID}`, { headers: { 'x-api-key': keyOf(STATION_B).apiKey } })),
    );
    const statuses = burst.map((response) => response.status);
    const throttled = burst.find((response) => response.status === 429);
    const fromA = await fetch(`${stack.url}/inspections/${SOME_ID}`, { headers: { 'x-api-key': keyOf(STATION_A).apiKey } });

    // Assess
    expect(statuses.filter((status) => status === 404).length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
    expect(await refusal(throttled!)).toMatchObject({ status: 429, code: 'THROTTLED' });
    expect(fromA.status).toBe(404);
  });

  it('refuses a revoked camera key 403, and a key API Gateway disabled though its table item is active', async () => {
    // Prepare
    const apiGateway = createApiGatewayClient({ region: 'us-east-1', endpoint: stack.env.APIGATEWAY_ENDPOINT! });
    const dynamoDb = createDynamoDbClient({ region: 'us-east-1', endpoint: stack.env.DYNAMODB_ENDPOINT! });
    const targets = { apiGateway, dynamoDb, tableName: stack.env.CAMERA_KEY_TABLE!, restApiId: LOCAL_REST_API_ID, apiStage: LOCAL_API_STAGE };
    const upload = (station: string) =>
      fetch(`${stack.url}/inspections`, { method: 'POST', headers: { 'x-api-key': keyOf(station).apiKey, 'content-type': 'image/png' }, body: wafer });

    await pause(REFILL_MS);
    try {
      // Act: A revoked with `npm run camera:key -- revoke`'s code; B's API key disabled in API Gateway only
      const before = await upload(STATION_A);
      await revokeCameraKey(targets, { keyId: keyOf(STATION_A).keyId });
      const revoked = await upload(STATION_A);
      await apiGateway.send(
        new UpdateApiKeyCommand({ apiKey: keyOf(STATION_B).keyId, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }),
      );
      const disabled = await upload(STATION_B);

      // Assess
      expect([200, 201]).toContain(before.status);
      expect(await refusal(revoked)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(await refusal(disabled)).toEqual({ status: 403, code: 'FORBIDDEN', message: 'The request has no valid API key (x-api-key header).' });
    } finally {
      apiGateway.destroy();
      dynamoDb.destroy();
    }
  });

  it('writes dev-credentials.json readable by its owner only: the issuer, the page client, a user per group, a key per station', async () => {
    // Act
    const file = path.join(dataDir, 'dev-credentials.json');
    const mode = (await stat(file)).mode & 0o777;

    // Assess
    expect(stack.auth.mode === 'on' && stack.auth.credentialsFile).toBe(file);
    expect(mode).toBe(0o600);
    expect(credentials.issuer).toBe(`${stack.url}/_local/identity`);
    expect(credentials.users.map(({ username, group, groups }) => ({ username, group, groups }))).toEqual([
      { username: 'operator', group: 'operator', groups: ['operator'] },
      { username: 'engineer', group: 'engineer', groups: ['engineer'] },
      { username: 'admin', group: 'admin', groups: ['admin'] },
    ]);
    expect(credentials.cameraKeys.map((key) => key.station).sort()).toEqual([STATION_A, STATION_B]);
    for (const key of credentials.cameraKeys) expect(key.apiKey).toMatch(/^[A-Za-z0-9]{20,}$/);
  });
});
