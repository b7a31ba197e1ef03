import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeCameraKey } from '../../../deploy/camera-keys';
import { createApiGatewayClient, createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { DynamoDbCameraKeyDirectory } from '../../../functions/adapters/dynamodb/dynamodb-camera-key-directory';
import { createCameraKeyTable, LOCAL_API_STAGE, LOCAL_REST_API_ID, seedCameraKeys, type SeedCameraKeysOptions } from '../../../local/camera-key-seed';
import { ApiGatewayEmulator } from '../../../local/emulators/api-gateway-emulator';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { UsagePlanGate } from '../../../local/gateway/usage-plans';

// The local stack's camera keys: one per station through createCameraKey, the same values again after a restart (from
// dev-credentials.json), whichever of the two stand-ins kept its state.
let dynalite: DynamoDbEmulator;
let dynamoDb: DynamoDBClient;
let directory: string;
let tables = 0;
const started: ApiGatewayEmulator[] = [];

async function apiGatewayEmulator(stateFile?: string): Promise<ApiGatewayEmulator> {
  const emulator = new ApiGatewayEmulator(stateFile ? { stateFile } : {});
  await emulator.start();
  started.push(emulator);
  return emulator;
}

async function freshTable(): Promise<string> {
  tables += 1;
  const name = `waferwatch-local-camera-keys-${tables}`;
  await createCameraKeyTable(dynamoDb, name);
  return name;
}

function seedOptions(emulator: ApiGatewayEmulator, tableName: string, stations: string[]): SeedCameraKeysOptions {
  return {
    stations,
    apiGatewayEndpoint: emulator.endpoint,
    dynamoDbEndpoint: dynalite.endpoint,
    tableName,
    restApiId: LOCAL_REST_API_ID,
    stage: LOCAL_API_STAGE,
    region: 'us-east-1',
  };
}

function gateOf(emulator: ApiGatewayEmulator): UsagePlanGate {
  return new UsagePlanGate({ source: emulator, apiStage: { apiId: LOCAL_REST_API_ID, stage: LOCAL_API_STAGE } });
}

beforeAll(async () => {
  dynalite = await startDynamoDbEmulator({ tables: [] });
  dynamoDb = createDynamoDbClient({ region: 'us-east-1', endpoint: dynalite.endpoint });
  directory = await mkdtemp(path.join(tmpdir(), 'waferwatch-camera-seed-'));
});

afterAll(async () => {
  dynamoDb?.destroy();
  await Promise.all(started.map((emulator) => emulator.close()));
  await dynalite?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('createCameraKeyTable', () => {
  it('creates the table with the deployed key schema (keyHash, a string), on demand, and leaves an existing one alone', async () => {
    // Prepare
    const name = 'waferwatch-local-camera-keys-schema';

    // Act
    await createCameraKeyTable(dynamoDb, name);
    await createCameraKeyTable(dynamoDb, name);

    // Assess
    const { Table: table } = await dynamoDb.send(new DescribeTableCommand({ TableName: name }));
    expect(table?.KeySchema).toEqual([{ AttributeName: 'keyHash', KeyType: 'HASH' }]);
    expect(table?.AttributeDefinitions).toEqual([{ AttributeName: 'keyHash', AttributeType: 'S' }]);
    expect(table?.TableStatus).toBe('ACTIVE');
  });
});

describe('seedCameraKeys', () => {
  it('makes one working key per station (duplicates once), through the same code as npm run camera:key', async () => {
    // Prepare
    const emulator = await apiGatewayEmulator();
    const tableName = await freshTable();

    // Act
    const seeded = await seedCameraKeys(seedOptions(emulator, tableName, ['litho-3', 'etch-1', 'litho-3']));

    // Assess
    expect(seeded.map((key) => key.station)).toEqual(['litho-3', 'etch-1']);
    const directoryOfKeys = new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName });
    for (const key of seeded) {
      expect(key.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(await directoryOfKeys.findByValue(key.apiKey)).toMatchObject({
        keyId: key.keyId,
        stationId: key.station,
        state: 'active',
        label: `${key.station} (local)`,
      });
      expect(gateOf(emulator).admit(key.apiKey, Date.now())).toMatchObject({ ok: true, keyId: key.keyId });
      expect(emulator.apiKey(key.keyId)?.name).toMatch(new RegExp(`^waferwatch-local-camera-${key.station}-`));
    }
  });

  it('keeps a previous key as it is when both stand-ins kept their state (a restart with the data folder)', async () => {
    // Prepare
    const stateFile = path.join(directory, 'kept', 'apigateway.json');
    const before = await apiGatewayEmulator(stateFile);
    const tableName = await freshTable();
    const previous = await seedCameraKeys(seedOptions(before, tableName, ['litho-3', 'etch-1']));
    await before.close();
    const after = await apiGatewayEmulator(stateFile);

    // Act
    const seeded = await seedCameraKeys({ ...seedOptions(after, tableName, ['litho-3', 'etch-1', 'cmp-2']), previous });

    // Assess
    expect(seeded.slice(0, 2)).toEqual(previous);
    expect(seeded[2]?.station).toBe('cmp-2');
    expect(after.listApiKeys()).toHaveLength(3);
    for (const key of seeded) expect(gateOf(after).admit(key.apiKey, Date.now()).ok).toBe(true);
  });

  it('creates the same values again when API Gateway lost its keys (no state file), so a configured camera keeps working', async () => {
    // Prepare
    const before = await apiGatewayEmulator();
    const tableName = await freshTable();
    const previous = await seedCameraKeys(seedOptions(before, tableName, ['litho-3']));
    const after = await apiGatewayEmulator();

    // Act
    const seeded = await seedCameraKeys({ ...seedOptions(after, tableName, ['litho-3']), previous });

    // Assess
    expect(seeded).toEqual([{ apiKey: previous[0]!.apiKey, station: 'litho-3', keyId: expect.any(String) }]);
    expect(seeded[0]!.keyId).not.toBe(previous[0]!.keyId);
    const found = await new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName }).findByValue(previous[0]!.apiKey);
    expect(found).toMatchObject({ keyId: seeded[0]!.keyId, stationId: 'litho-3', state: 'active' });
    expect(gateOf(after).admit(previous[0]!.apiKey, Date.now()).ok).toBe(true);
  });

  it('creates the same values again when the table was lost, clearing the old API Gateway key and plan first', async () => {
    // Prepare
    const emulator = await apiGatewayEmulator();
    const previous = await seedCameraKeys(seedOptions(emulator, await freshTable(), ['etch-1']));
    const tableName = await freshTable();

    // Act
    const seeded = await seedCameraKeys({ ...seedOptions(emulator, tableName, ['etch-1']), previous });

    // Assess
    expect(seeded[0]!.apiKey).toBe(previous[0]!.apiKey);
    expect(emulator.apiKey(previous[0]!.keyId)).toBeUndefined();
    expect(emulator.listApiKeys().map((key) => key.id)).toEqual([seeded[0]!.keyId]);
    expect(emulator.listUsagePlans()).toHaveLength(1);
    expect((await new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName }).findByValue(previous[0]!.apiKey))?.state).toBe('active');
  });

  it('does not bring back a key revoked on purpose: the station gets a new value', async () => {
    // Prepare
    const emulator = await apiGatewayEmulator();
    const tableName = await freshTable();
    const previous = await seedCameraKeys(seedOptions(emulator, tableName, ['cmp-2']));
    const apiGateway = createApiGatewayClient({ region: 'us-east-1', endpoint: emulator.endpoint });
    await revokeCameraKey({ apiGateway, dynamoDb, tableName, restApiId: LOCAL_REST_API_ID, apiStage: LOCAL_API_STAGE }, { keyId: previous[0]!.keyId });
    apiGateway.destroy();

    // Act
    const seeded = await seedCameraKeys({ ...seedOptions(emulator, tableName, ['cmp-2']), previous });

    // Assess
    expect(seeded[0]!.apiKey).not.toBe(previous[0]!.apiKey);
    const keys = new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName });
    expect((await keys.findByValue(previous[0]!.apiKey))?.state).toBe('revoked');
    expect((await keys.findByValue(seeded[0]!.apiKey))?.state).toBe('active');
    expect(gateOf(emulator).admit(previous[0]!.apiKey, Date.now()).ok).toBe(false);
  });

  it('ignores an unusable previous value (too short for API Gateway) and makes a new key', async () => {
    // Prepare
    const emulator = await apiGatewayEmulator();
    const tableName = await freshTable();

    // Act
    const seeded = await seedCameraKeys({
      ...seedOptions(emulator, tableName, ['litho-3']),
      previous: [{ apiKey: 'short', station: 'litho-3', keyId: 'gone' }],
    });

    // Assess
    expect(seeded[0]!.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(emulator.listApiKeys()).toHaveLength(1);
  });
});
