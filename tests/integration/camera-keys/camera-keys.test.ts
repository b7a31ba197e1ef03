import { GetItemCommand, ResourceNotFoundException, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CameraKeyError,
  createCameraKey,
  DEFAULT_CAMERA_PLAN_LIMITS,
  listCameraKeys,
  readCameraKeyStackOutputs,
  revokeCameraKey,
  rotateCameraKey,
  type CameraKeyTargets,
} from '../../../deploy/camera-keys';
import { createApiGatewayClient, createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { cameraKeyHash, DynamoDbCameraKeyDirectory } from '../../../functions/adapters/dynamodb/dynamodb-camera-key-directory';
import { DynamoDbStationRegistry } from '../../../functions/adapters/dynamodb/dynamodb-station-registry';
import { createRequestAuthorizer } from '../../../functions/adapters/http/request-authorizer';
import { parseStationRegistry } from '../../../functions/core/station-registry';
import { createCameraKeyTable } from '../../../local/camera-key-seed';
import { ApiGatewayEmulator } from '../../../local/emulators/api-gateway-emulator';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { UsagePlanGate } from '../../../local/gateway/usage-plans';
import { MemoryLogger } from '../../fixtures/fakes';
import { runProjectCommand, type CommandResult } from '../../helpers/project-command';

// `npm run camera:key` against the API Gateway emulator and dynalite: the exported operations (which the local stack's
// seed uses too) and the command in its own process, read back by the request authorizer's DynamoDbCameraKeyDirectory
// and by the local gateway's usage plans (what API Gateway enforces after the authorizer).
const T0 = Date.parse('2026-11-26T12:00:00Z');
const REST_API_ID = 'abcde12345';
const API_STAGE = 'dev';
const STATIONS_TABLE = 'waferwatch-camera-key-stations';
const PREFIXES = ['+1'];

let dynalite: DynamoDbEmulator;
let dynamoDb: DynamoDBClient;
const apiGatewayEmulator = new ApiGatewayEmulator({ now: () => T0 });
let apiGateway: APIGatewayClient;
let tables = 0;

/** A camera key table of its own (so tests sharing one dynalite do not share keys), and targets naming it. */
async function freshTargets(overrides: Partial<CameraKeyTargets> = {}): Promise<CameraKeyTargets> {
  tables += 1;
  const tableName = `waferwatch-camera-keys-${tables}`;
  await createCameraKeyTable(dynamoDb, tableName);
  return { apiGateway, dynamoDb, tableName, restApiId: REST_API_ID, apiStage: API_STAGE, stage: 'dev', now: () => T0, ...overrides };
}

function stationRegistry(): DynamoDbStationRegistry {
  return new DynamoDbStationRegistry({ client: toDocumentClient(dynamoDb), tableName: STATIONS_TABLE, allowedPrefixes: PREFIXES, cacheSeconds: 0 });
}

function directoryOf(targets: CameraKeyTargets): DynamoDbCameraKeyDirectory {
  return new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName: targets.tableName });
}

const gate = () => new UsagePlanGate({ source: apiGatewayEmulator, apiStage: { apiId: REST_API_ID, stage: API_STAGE } });

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function itemsOf(tableName: string) {
  return (await dynamoDb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];
}

/** Run the command in its own process, as an engineer would. */
function runCommand(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runProjectCommand('deploy/camera-keys.ts', args, { OPERATOR_COUNTRY_PREFIXES: '+1', ...env });
}

/** The command's target options for these emulators and a table. */
function targetArgs(tableName: string, withStations = true): string[] {
  return [
    '--endpoint',
    apiGatewayEmulator.endpoint,
    '--dynamodb-endpoint',
    dynalite.endpoint,
    '--rest-api-id',
    REST_API_ID,
    '--api-stage',
    API_STAGE,
    '--table',
    tableName,
    ...(withStations ? ['--stations-table', STATIONS_TABLE] : []),
  ];
}

/** How often `text` occurs in `haystack`. */
function occurrences(haystack: string, text: string): number {
  return haystack.split(text).length - 1;
}

beforeAll(async () => {
  dynalite = await startDynamoDbEmulator({ tables: [{ name: STATIONS_TABLE, partitionKey: 'stationId' }] });
  dynamoDb = createDynamoDbClient({ region: 'us-east-1', endpoint: dynalite.endpoint });
  apiGateway = createApiGatewayClient({ region: 'us-east-1', endpoint: await apiGatewayEmulator.start() });
  const stations = ['litho-3', 'etch-1', 'cmp-2'].map((id) => ({ id, name: id, escalation: [{ name: 'Line operator', phone: '+15555550100' }] }));
  await stationRegistry().importStations(parseStationRegistry({ stations }, PREFIXES));
});

afterAll(async () => {
  apiGateway?.destroy();
  dynamoDb?.destroy();
  await apiGatewayEmulator.close();
  await dynalite?.close();
});

describe('createCameraKey', () => {
  it('makes an enabled API key, its own usage plan on the API stage (throttle, daily quota), the plan key and the table item', async () => {
    // Prepare
    const targets = await freshTargets({ stations: stationRegistry() });

    // Act
    const created = await createCameraKey(targets, { stationId: 'litho-3', label: 'litho-3 camera A' });

    // Assess
    expect(created).toMatchObject({
      stationId: 'litho-3',
      label: 'litho-3 camera A',
      createdAt: new Date(T0).toISOString(),
      limits: DEFAULT_CAMERA_PLAN_LIMITS,
    });
    expect(created.name).toMatch(/^waferwatch-dev-camera-litho-3-[a-z0-9]{6}$/);
    const key = apiGatewayEmulator.apiKey(created.keyId);
    expect(key).toMatchObject({ value: created.apiKey, name: created.name, enabled: true, tags: { station: 'litho-3', service: 'waferwatch' } });
    const plan = apiGatewayEmulator.usagePlan(created.usagePlanId);
    expect(plan).toMatchObject({
      apiStages: [{ apiId: REST_API_ID, stage: API_STAGE }],
      throttle: { rateLimit: 2, burstLimit: 5 },
      quota: { limit: 20000, period: 'DAY' },
      keyIds: [created.keyId],
      tags: { station: 'litho-3', service: 'waferwatch' },
    });
    const items = await itemsOf(targets.tableName);
    expect(items).toEqual([
      {
        keyHash: { S: cameraKeyHash(created.apiKey) },
        keyId: { S: created.keyId },
        stationId: { S: 'litho-3' },
        state: { S: 'active' },
        label: { S: 'litho-3 camera A' },
        createdAt: { S: new Date(T0).toISOString() },
        usagePlanId: { S: created.usagePlanId },
      },
    ]);
    expect(JSON.stringify(items)).not.toContain(created.apiKey);
    expect(await directoryOf(targets).findByValue(created.apiKey)).toEqual({
      keyId: created.keyId,
      stationId: 'litho-3',
      state: 'active',
      label: 'litho-3 camera A',
      createdAt: new Date(T0).toISOString(),
    });
    expect(gate().admit(created.apiKey, T0)).toEqual({ ok: true, keyId: created.keyId, usagePlanId: created.usagePlanId });
  });

  it('takes the plan limits given, and a value given (the local seed)', async () => {
    // Prepare
    const targets = await freshTargets();
    const value = 'a-value-the-camera-already-holds-0001';

    // Act
    const created = await createCameraKey(targets, { stationId: 'etch-1', limits: { rateLimit: 0.5, burstLimit: 1, dailyQuota: 100 }, value });

    // Assess
    expect(created.apiKey).toBe(value);
    expect(apiGatewayEmulator.usagePlan(created.usagePlanId)).toMatchObject({
      throttle: { rateLimit: 0.5, burstLimit: 1 },
      quota: { limit: 100, period: 'DAY' },
    });
    expect((await directoryOf(targets).findByValue(value))?.stationId).toBe('etch-1');
  });

  it('refuses a station the registry does not know, a malformed station id and impossible limits, creating nothing', async () => {
    // Prepare
    const targets = await freshTargets({ stations: stationRegistry() });
    const keysBefore = apiGatewayEmulator.listApiKeys().length;
    const plansBefore = apiGatewayEmulator.listUsagePlans().length;

    // Act
    const unknown = await caught(createCameraKey(targets, { stationId: 'litho-9' }));
    const malformed = await caught(createCameraKey(targets, { stationId: 'litho 3/../x' }));
    const noBurst = await caught(createCameraKey(targets, { stationId: 'litho-3', limits: { burstLimit: 0 } }));
    const fractionalQuota = await caught(createCameraKey(targets, { stationId: 'litho-3', limits: { dailyQuota: 1.5 } }));

    // Assess
    expect(unknown).toBeInstanceOf(CameraKeyError);
    expect((unknown as Error).message).toMatch(/^Unknown station "litho-9"/);
    expect(malformed).toBeInstanceOf(CameraKeyError);
    expect(noBurst).toBeInstanceOf(CameraKeyError);
    expect(fractionalQuota).toBeInstanceOf(CameraKeyError);
    expect(apiGatewayEmulator.listApiKeys()).toHaveLength(keysBefore);
    expect(apiGatewayEmulator.listUsagePlans()).toHaveLength(plansBefore);
    expect(await itemsOf(targets.tableName)).toEqual([]);
  });

  it('undoes the API key, plan and plan key when the table write fails: no half-made key', async () => {
    // Prepare
    const targets = await freshTargets();
    const keysBefore = apiGatewayEmulator.listApiKeys().length;
    const plansBefore = apiGatewayEmulator.listUsagePlans().length;

    // Act
    const failed = await caught(createCameraKey({ ...targets, tableName: 'waferwatch-no-such-table' }, { stationId: 'litho-3' }));

    // Assess
    expect(failed).toBeInstanceOf(ResourceNotFoundException);
    expect(apiGatewayEmulator.listApiKeys()).toHaveLength(keysBefore);
    expect(apiGatewayEmulator.listUsagePlans()).toHaveLength(plansBefore);
  });

  it('undoes the API key when API Gateway refuses the usage plan', async () => {
    // Prepare: an API Gateway that knows only another stage, so CreateUsagePlan is refused after CreateApiKey
    const strict = new ApiGatewayEmulator({ knownStages: [{ apiId: REST_API_ID, stage: 'prod' }] });
    const strictClient = createApiGatewayClient({ region: 'us-east-1', endpoint: await strict.start() });
    const targets = await freshTargets({ apiGateway: strictClient });

    try {
      // Act
      const failed = await caught(createCameraKey(targets, { stationId: 'litho-3' }));

      // Assess
      expect((failed as Error).name).toBe('NotFoundException');
      expect(strict.listApiKeys()).toEqual([]);
      expect(strict.listUsagePlans()).toEqual([]);
      expect(await itemsOf(targets.tableName)).toEqual([]);
    } finally {
      strictClient.destroy();
      await strict.close();
    }
  });
});

describe('revokeCameraKey', () => {
  it('marks the item revoked (the authorizer refuses it), disables the API key and deletes its plan (API Gateway refuses it)', async () => {
    // Prepare
    const targets = await freshTargets({ now: () => T0 + 60_000 });
    const created = await createCameraKey(targets, { stationId: 'litho-3' });
    const admittedBefore = gate().admit(created.apiKey, T0).ok;

    // Act
    const revoked = await revokeCameraKey(targets, { keyId: created.keyId });

    // Assess
    const revokedAt = new Date(T0 + 60_000).toISOString();
    expect(revoked).toEqual({ keyId: created.keyId, stationId: 'litho-3', revokedAt, alreadyRevoked: false });
    expect(admittedBefore).toBe(true);
    expect(await directoryOf(targets).findByValue(created.apiKey)).toMatchObject({ keyId: created.keyId, state: 'revoked', revokedAt });
    expect(gate().admit(created.apiKey, T0 + 61_000)).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
    expect(apiGatewayEmulator.apiKey(created.keyId)?.enabled).toBe(false);
    expect(apiGatewayEmulator.usagePlan(created.usagePlanId)).toBeUndefined();
    expect(apiGatewayEmulator.usagePlansOfKey(created.keyId)).toEqual([]);
  });

  it('end to end: the request authorizer allows the key and hands it to the usage plan; after revoke both refuse it', async () => {
    // Prepare
    const targets = await freshTargets();
    const created = await createCameraKey(targets, { stationId: 'litho-3' });
    const authorize = createRequestAuthorizer(() => ({
      people: { verify: async () => Promise.reject(new Error('no people here')) },
      cameraKeys: directoryOf(targets),
      logger: new MemoryLogger(),
    }));
    const event = {
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcde12345/dev/POST/inspections',
      headers: { 'x-api-key': created.apiKey },
    };
    const effectOf = (result: Awaited<ReturnType<typeof authorize>>) => (result.policyDocument.Statement[0] as { Effect: string }).Effect;

    // Act
    const before = await authorize(event as never);
    const admittedBefore = gate().admit(before.usageIdentifierKey ?? '', T0);
    await revokeCameraKey(targets, { keyId: created.keyId });
    const after = await authorize(event as never);

    // Assess
    expect(effectOf(before)).toBe('Allow');
    expect(before.usageIdentifierKey).toBe(created.apiKey);
    expect(before.context).toMatchObject({ stationId: 'litho-3' });
    expect(admittedBefore.ok).toBe(true);
    expect(effectOf(after)).toBe('Deny');
    expect(after.usageIdentifierKey).toBeUndefined();
    expect(gate().admit(created.apiKey, T0)).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
  });

  it('is idempotent: revoking again keeps the first revokedAt, and revoking an unknown key id is a clear error', async () => {
    // Prepare
    let now = T0;
    const targets = await freshTargets({ now: () => now });
    const created = await createCameraKey(targets, { stationId: 'etch-1' });
    const first = await revokeCameraKey(targets, { keyId: created.keyId });
    now += 3_600_000;

    // Act
    const second = await revokeCameraKey(targets, { keyId: created.keyId });
    const unknown = await caught(revokeCameraKey(targets, { keyId: 'nosuchkey0' }));

    // Assess
    expect(second).toEqual({ ...first, alreadyRevoked: true });
    expect(unknown).toBeInstanceOf(CameraKeyError);
    expect((unknown as Error).message).toContain('No camera key nosuchkey0');
  });

  it('still revokes in the table when API Gateway no longer has the key', async () => {
    // Prepare
    const targets = await freshTargets();
    const created = await createCameraKey(targets, { stationId: 'cmp-2' });
    apiGatewayEmulator.deleteUsagePlanKey(created.usagePlanId, created.keyId);
    apiGatewayEmulator.deleteApiKey(created.keyId);

    // Act
    const revoked = await revokeCameraKey(targets, { keyId: created.keyId });

    // Assess
    expect(revoked.alreadyRevoked).toBe(false);
    expect((await directoryOf(targets).findByValue(created.apiKey))?.state).toBe('revoked');
    expect(apiGatewayEmulator.usagePlan(created.usagePlanId)).toBeUndefined();
  });
});

describe('rotateCameraKey', () => {
  it("replaces the station's one active key with a new one on the same limits and label, revoking the old: one active key left", async () => {
    // Prepare
    const targets = await freshTargets();
    const old = await createCameraKey(targets, { stationId: 'litho-3', label: 'camera A', limits: { rateLimit: 1, burstLimit: 3, dailyQuota: 500 } });

    // Act
    const rotated = await rotateCameraKey(targets, { stationId: 'litho-3' });

    // Assess
    expect(rotated.previousKeyId).toBe(old.keyId);
    expect(rotated.revoked).toMatchObject({ keyId: old.keyId, alreadyRevoked: false });
    expect(rotated.created).toMatchObject({ stationId: 'litho-3', label: 'camera A', limits: { rateLimit: 1, burstLimit: 3, dailyQuota: 500 } });
    expect(rotated.created.apiKey).not.toBe(old.apiKey);
    const keys = await listCameraKeys(targets, { stationId: 'litho-3' });
    expect(keys.filter((key) => key.state === 'active').map((key) => key.keyId)).toEqual([rotated.created.keyId]);
    expect((await directoryOf(targets).findByValue(old.apiKey))?.state).toBe('revoked');
    expect((await directoryOf(targets).findByValue(rotated.created.apiKey))?.state).toBe('active');
    expect(gate().admit(old.apiKey, T0).ok).toBe(false);
    expect(gate().admit(rotated.created.apiKey, T0).ok).toBe(true);
  });

  it('rotates by key id; refuses a station with two active keys, a station with none, and a revoked key', async () => {
    // Prepare
    const targets = await freshTargets();
    const first = await createCameraKey(targets, { stationId: 'etch-1' });
    await createCameraKey(targets, { stationId: 'etch-1' });
    const revoked = await createCameraKey(targets, { stationId: 'cmp-2' });
    await revokeCameraKey(targets, { keyId: revoked.keyId });

    // Act
    const ambiguous = await caught(rotateCameraKey(targets, { stationId: 'etch-1' }));
    const none = await caught(rotateCameraKey(targets, { stationId: 'cmp-2' }));
    const ofRevoked = await caught(rotateCameraKey(targets, { keyId: revoked.keyId }));
    const byId = await rotateCameraKey(targets, { keyId: first.keyId });

    // Assess
    expect((ambiguous as Error).message).toMatch(/^Station etch-1 has 2 active keys/);
    expect((none as Error).message).toContain('has no active camera key');
    expect((ofRevoked as Error).message).toContain('is already revoked');
    expect(byId.revoked?.keyId).toBe(first.keyId);
    expect((await listCameraKeys(targets, { stationId: 'etch-1' })).filter((key) => key.state === 'active')).toHaveLength(2);
  });
});

describe('listCameraKeys', () => {
  it("lists every key (or one station's) with its state and plan limits, never a value", async () => {
    // Prepare
    let now = T0;
    const targets = await freshTargets({ now: () => now });
    const litho = await createCameraKey(targets, { stationId: 'litho-3', label: 'A' });
    now += 1_000;
    const etch = await createCameraKey(targets, { stationId: 'etch-1', limits: { dailyQuota: 10 } });
    now += 1_000;
    await revokeCameraKey(targets, { keyId: litho.keyId });

    // Act
    const all = await listCameraKeys(targets);
    const oneStation = await listCameraKeys(targets, { stationId: 'etch-1' });

    // Assess
    expect(all).toEqual([
      {
        keyId: etch.keyId,
        stationId: 'etch-1',
        state: 'active',
        createdAt: new Date(T0 + 1_000).toISOString(),
        usagePlanId: etch.usagePlanId,
        limits: { rateLimit: 2, burstLimit: 5, dailyQuota: 10 },
      },
      {
        keyId: litho.keyId,
        stationId: 'litho-3',
        label: 'A',
        state: 'revoked',
        createdAt: new Date(T0).toISOString(),
        revokedAt: new Date(T0 + 2_000).toISOString(),
        usagePlanId: litho.usagePlanId,
      },
    ]);
    expect(oneStation.map((key) => key.keyId)).toEqual([etch.keyId]);
    expect(JSON.stringify(all)).not.toContain(litho.apiKey);
    expect(JSON.stringify(all)).not.toContain(etch.apiKey);
  });
});

describe('readCameraKeyStackOutputs (--stage)', () => {
  it("reads RestApiId, ApiStageName, CameraKeyTableName, StationRegistryTableName and the camera plan's limits from the stack", async () => {
    // Prepare
    const sent: unknown[] = [];
    const cloudFormation = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        return {
          Stacks: [
            {
              Outputs: [
                { OutputKey: 'RestApiId', OutputValue: 'a1b2c3d4e5' },
                { OutputKey: 'ApiStageName', OutputValue: 'prod' },
                { OutputKey: 'CameraKeyTableName', OutputValue: 'waferwatch-prod-CameraKeyTable-1' },
                { OutputKey: 'StationRegistryTableName', OutputValue: 'waferwatch-prod-StationRegistryTable-1' },
                { OutputKey: 'CameraRateLimit', OutputValue: '3' },
                { OutputKey: 'CameraBurstLimit', OutputValue: '6' },
                { OutputKey: 'CameraDailyQuota', OutputValue: 'not a number' },
              ],
            },
          ],
        };
      },
    };

    // Act
    const outputs = await readCameraKeyStackOutputs(cloudFormation as never, 'waferwatch-prod');

    // Assess
    expect(sent).toEqual([{ StackName: 'waferwatch-prod' }]);
    expect(outputs).toEqual({
      restApiId: 'a1b2c3d4e5',
      apiStage: 'prod',
      tableName: 'waferwatch-prod-CameraKeyTable-1',
      stationsTable: 'waferwatch-prod-StationRegistryTable-1',
      limits: { rateLimit: 3, burstLimit: 6 },
    });
  });
});

// Each run starts tsx (a few seconds on a busy machine), hence the longer timeouts.
describe('npm run camera:key, in its own process', () => {
  it('create prints the value exactly once on stdout (never on stderr) with the "shown once" line; list never shows it', async () => {
    // Prepare
    const targets = await freshTargets();

    // Act
    const created = await runCommand([
      'create',
      '--station',
      'litho-3',
      '--label',
      'litho-3 camera A',
      '--rate',
      '1',
      '--burst',
      '2',
      ...targetArgs(targets.tableName),
    ]);
    const listed = await runCommand(['list', ...targetArgs(targets.tableName)]);

    // Assess
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    const [item] = await itemsOf(targets.tableName);
    const keyId = item!.keyId!.S!;
    const value = apiGatewayEmulator.apiKey(keyId)!.value;
    expect(occurrences(created.stdout, value)).toBe(1);
    expect(created.stdout).toContain('The key is shown once, store it in the camera now');
    expect(created.stdout).toContain(`Created camera key ${keyId} for station litho-3 ("litho-3 camera A")`);
    expect(created.stdout).toContain('1 requests/s, burst 2, 20000 requests a day');
    expect(item!.keyHash!.S).toBe(cameraKeyHash(value));
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${keyId}\\s+litho-3\\s+active\\s+`));
    expect(listed.stdout).not.toContain(value);
    expect(listed.stderr).toBe('');
  }, 120_000);

  it('create --json prints {keyId, station, apiKey, usagePlanId} only; rotate --json and revoke --json follow it', async () => {
    // Prepare
    const targets = await freshTargets();

    // Act
    const created = await runCommand(['create', '--station', 'etch-1', '--json', ...targetArgs(targets.tableName)]);
    const createdJson = JSON.parse(created.stdout);
    const rotated = await runCommand(['rotate', '--station', 'etch-1', '--json', ...targetArgs(targets.tableName)]);
    const rotatedJson = JSON.parse(rotated.stdout);
    const revoked = await runCommand(['revoke', '--key-id', rotatedJson.keyId, '--json', ...targetArgs(targets.tableName)]);
    const revokedAgain = await runCommand(['revoke', '--key-id', rotatedJson.keyId, ...targetArgs(targets.tableName)]);
    const listed = await runCommand(['list', '--json', '--station', 'etch-1', ...targetArgs(targets.tableName)]);

    // Assess
    expect(created.code).toBe(0);
    expect(Object.keys(createdJson)).toEqual(['keyId', 'station', 'apiKey', 'usagePlanId']);
    expect(createdJson).toMatchObject({ station: 'etch-1', apiKey: apiGatewayEmulator.apiKey(createdJson.keyId)!.value });
    expect(occurrences(created.stdout, createdJson.apiKey)).toBe(1);
    expect(rotated.code).toBe(0);
    expect(rotatedJson).toMatchObject({ station: 'etch-1', revokedKeyId: createdJson.keyId });
    expect(occurrences(rotated.stdout, rotatedJson.apiKey)).toBe(1);
    expect(`${created.stderr}${rotated.stderr}${revoked.stderr}`).not.toContain(createdJson.apiKey);
    expect(`${rotated.stderr}${revoked.stderr}`).not.toContain(rotatedJson.apiKey);
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toEqual({ keyId: rotatedJson.keyId, station: 'etch-1', revokedAt: expect.any(String), alreadyRevoked: false });
    expect(revokedAgain.code).toBe(0);
    expect(revokedAgain.stdout).toContain('was already revoked');
    const keys = JSON.parse(listed.stdout) as Array<{ keyId: string; state: string }>;
    expect(keys.map((key) => [key.keyId, key.state]).sort()).toEqual(
      [
        [createdJson.keyId, 'revoked'],
        [rotatedJson.keyId, 'revoked'],
      ].sort(),
    );
    expect(listed.stdout).not.toContain(createdJson.apiKey);
    expect(await directoryOf(targets).findByValue(rotatedJson.apiKey)).toMatchObject({ state: 'revoked' });
  }, 120_000);

  it('refuses an unknown station with exit code 1 and one line on stderr, no stack trace, nothing created', async () => {
    // Prepare
    const targets = await freshTargets();
    const keysBefore = apiGatewayEmulator.listApiKeys().length;

    // Act
    const run = await runCommand(['create', '--station', 'litho-9', ...targetArgs(targets.tableName)]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^Unknown station "litho-9": it is not in the station registry/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(apiGatewayEmulator.listApiKeys()).toHaveLength(keysBefore);
    expect(await itemsOf(targets.tableName)).toEqual([]);
  }, 120_000);

  it('answers mistakes with one clear line and exit code 1: no targets, no command, an unknown key, --grace-minutes, a bad number', async () => {
    // Prepare
    const targets = await freshTargets();

    // Act
    const runs = await Promise.all([
      runCommand(['list']),
      runCommand([...targetArgs(targets.tableName)]),
      runCommand(['revoke', '--key-id', 'nosuchkey0', ...targetArgs(targets.tableName)]),
      runCommand(['rotate', '--key-id', 'nosuchkey0', '--grace-minutes', '10', ...targetArgs(targets.tableName)]),
      runCommand(['create', '--station', 'litho-3', '--rate', 'fast', ...targetArgs(targets.tableName)]),
    ]);

    // Assess
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(runs[0].stderr).toContain('Name the targets: --stage STAGE');
    expect(runs[1].stderr).toContain('Name a command: create, list, rotate or revoke');
    expect(runs[2].stderr).toContain('No camera key nosuchkey0');
    expect(runs[3].stderr).toContain('--grace-minutes is not supported');
    expect(runs[4].stderr).toContain('--rate must be a number');
  }, 120_000);

  it('without a station registry, creates the key and says on stderr that the station was not checked', async () => {
    // Prepare
    const targets = await freshTargets();

    // Act
    const run = await runCommand(['create', '--station', 'anything-goes', '--json', ...targetArgs(targets.tableName, false)]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toBe('No station registry (--stations-table or the stack output StationRegistryTableName): the station was not checked.');
    const created = JSON.parse(run.stdout);
    expect(run.stderr).not.toContain(created.apiKey);
    const item = await dynamoDb.send(new GetItemCommand({ TableName: targets.tableName, Key: { keyHash: { S: cameraKeyHash(created.apiKey) } } }));
    expect(item.Item?.stationId?.S).toBe('anything-goes');
  }, 120_000);
});
