import { GetApiKeysCommand, GetUsagePlansCommand, type APIGatewayClient, type ApiKey } from '@aws-sdk/client-api-gateway';
import { CreateTableCommand, DeleteItemCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CameraKeyError, createCameraKey, deleteCameraApiKey, type CameraKeyTargets, type CameraPlanLimits } from '../deploy/camera-keys';
import { createApiGatewayClient, createDynamoDbClient } from '../functions/adapters/aws-clients';
import { cameraKeyHash, DynamoDbCameraKeyDirectory } from '../functions/adapters/dynamodb/dynamodb-camera-key-directory';

/** The local stack's camera key table, REST API id and stage (named like the deployed ones; any names will do locally). */
export const LOCAL_CAMERA_KEY_TABLE = 'waferwatch-local-camera-keys';
export const LOCAL_REST_API_ID = 'waferwatchlocal';
export const LOCAL_API_STAGE = 'local';

/** A seeded camera key, as dev-credentials.json keeps it (`apiKey` is the value the camera sends as x-api-key). */
export interface SeededCameraKey {
  apiKey: string;
  station: string;
  keyId: string;
}

export interface SeedCameraKeysOptions {
  /** One key per station (duplicates are seeded once). */
  stations: string[];
  /** The keys of an earlier start (dev-credentials.json): a station's value is kept, so a configured camera keeps working. */
  previous?: SeededCameraKey[];
  /** The API Gateway emulator and the local DynamoDB (dynalite) holding the camera key table. */
  apiGatewayEndpoint: string;
  dynamoDbEndpoint: string;
  tableName: string;
  /** The API stage the keys' usage plans name (what local/gateway/usage-plans.ts meters on). */
  restApiId: string;
  stage: string;
  region: string;
  /** The plan of each seeded key; the stack's defaults (2 rps, burst 5, 20000 a day) when unset. */
  limits?: Partial<CameraPlanLimits>;
}

/**
 * Seed one camera key per station through the same createCameraKey as `npm run camera:key -- create`. A station with a
 * key in `previous` keeps it:
 * - the key still works (its table item is active for that station, and API Gateway has it enabled in a plan of this
 *   stage: both emulators kept their state): it is used as it is;
 * - otherwise (a data folder without the emulator's state file, or a table that was lost) whatever is left of it is
 *   cleared and the same value is created again (CreateApiKey with `value`), with a new key id;
 * - a key revoked on purpose (its item says `revoked`) is not brought back: the station gets a new value.
 * Resolves with the station's keys in `stations` order, for dev-credentials.json.
 */
export async function seedCameraKeys(options: SeedCameraKeysOptions): Promise<SeededCameraKey[]> {
  const apiGateway = createApiGatewayClient({ region: options.region, endpoint: options.apiGatewayEndpoint });
  const dynamoDb = createDynamoDbClient({ region: options.region, endpoint: options.dynamoDbEndpoint });
  try {
    const targets: CameraKeyTargets = {
      apiGateway,
      dynamoDb,
      tableName: options.tableName,
      restApiId: options.restApiId,
      apiStage: options.stage,
      stage: options.stage,
    };
    const directory = new DynamoDbCameraKeyDirectory({ client: dynamoDb, tableName: options.tableName });
    const seeded: SeededCameraKey[] = [];
    for (const station of [...new Set(options.stations)]) {
      const earlier = options.previous?.find((key) => key.station === station && typeof key.apiKey === 'string' && key.apiKey.length > 0);
      const request = { stationId: station, label: `${station} (local)`, ...(options.limits ? { limits: options.limits } : {}) };
      if (!earlier) {
        seeded.push(seededFrom(await createCameraKey(targets, request)));
        continue;
      }
      const item = await directory.findByValue(earlier.apiKey);
      const apiKey = await apiKeyWithValue(apiGateway, earlier.apiKey);
      if (item?.state === 'revoked') {
        seeded.push(seededFrom(await createCameraKey(targets, request)));
        continue;
      }
      if (item && item.stationId === station && apiKey?.enabled && apiKey.id === item.keyId && (await inPlanOfStage(apiGateway, apiKey.id, options))) {
        seeded.push({ apiKey: earlier.apiKey, station, keyId: item.keyId });
        continue;
      }
      // What is left of the earlier key goes, so the same value can be created again whole.
      if (item) await dynamoDb.send(new DeleteItemCommand({ TableName: options.tableName, Key: { keyHash: { S: cameraKeyHash(earlier.apiKey) } } }));
      if (item && item.keyId !== apiKey?.id) await deleteCameraApiKey(apiGateway, item.keyId);
      if (apiKey?.id) await deleteCameraApiKey(apiGateway, apiKey.id);
      try {
        seeded.push(seededFrom(await createCameraKey(targets, { ...request, value: earlier.apiKey })));
      } catch (error) {
        // A value API Gateway will not take again (shorter than 20 characters, edited by hand): a new one.
        if (!(error instanceof CameraKeyError) && !(error instanceof Error && error.name === 'BadRequestException')) throw error;
        seeded.push(seededFrom(await createCameraKey(targets, request)));
      }
    }
    return seeded;
  } finally {
    apiGateway.destroy();
    dynamoDb.destroy();
  }
}

/**
 * Create the local camera key table in dynalite with the deployed table's key schema (resources/identity.yml
 * CameraKeyTable: partition key `keyHash`, a string; on demand). An existing table (a kept data folder) is left as it is.
 */
export async function createCameraKeyTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'keyHash', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const described = await client.send(new DescribeTableCommand({ TableName: name }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${name} did not become ACTIVE`);
}

function seededFrom(created: { apiKey: string; stationId: string; keyId: string }): SeededCameraKey {
  return { apiKey: created.apiKey, station: created.stationId, keyId: created.keyId };
}

/** The API Gateway key holding this value (GetApiKeys with includeValues, every page), or undefined. */
async function apiKeyWithValue(apiGateway: APIGatewayClient, value: string): Promise<ApiKey | undefined> {
  let position: string | undefined;
  do {
    const page = await apiGateway.send(new GetApiKeysCommand({ includeValues: true, limit: 500, ...(position ? { position } : {}) }));
    const found = page.items?.find((key) => key.value === value);
    if (found) return found;
    position = page.position;
  } while (position);
  return undefined;
}

async function inPlanOfStage(apiGateway: APIGatewayClient, keyId: string, options: Pick<SeedCameraKeysOptions, 'restApiId' | 'stage'>): Promise<boolean> {
  const plans = await apiGateway.send(new GetUsagePlansCommand({ keyId, limit: 500 }));
  return (plans.items ?? []).some((plan) => (plan.apiStages ?? []).some((stage) => stage.apiId === options.restApiId && stage.stage === options.stage));
}
