import path from 'node:path';
import { createDynamoDbClient } from '../functions/adapters/aws-clients';
import { createCameraKeyTable, LOCAL_API_STAGE, LOCAL_CAMERA_KEY_TABLE, LOCAL_REST_API_ID, seedCameraKeys, type SeededCameraKey } from './camera-key-seed';
import { ApiGatewayEmulator } from './emulators/api-gateway-emulator';
import { UsagePlanGate } from './gateway/usage-plans';

/** The camera keys of a local stack with sign-in on: API Gateway's keys and plans, the table the authorizer reads. */
export interface LocalCameraKeys {
  /** One key per station, the same at every start with the same data folder. */
  keys: SeededCameraKey[];
  /** The camera key table in the stack's dynalite (CAMERA_KEY_TABLE). */
  tableName: string;
  /** The API Gateway emulator (keys and usage plans; `npm run camera:key -- --endpoint` talks to it). */
  apiGatewayEndpoint: string;
  /** The REST API and stage the keys' usage plans name, as the gateway's events and method ARNs say them. */
  restApiId: string;
  stage: string;
  /** The usage plans of `private: true` routes: each request with a key is counted on the key's own plan. */
  usagePlans: UsagePlanGate;
  close(): Promise<void>;
}

/**
 * Start what cameras need on the local stack: the API Gateway control-plane emulator (its keys and plans kept in
 * `<dataDir>/apigateway/state.json`), the camera key table in the stack's dynalite, and one key per station seeded
 * through the same code as `npm run camera:key -- create` (local/camera-key-seed.ts); a station keeps the key it had
 * (`previous`, from dev-credentials.json).
 */
export async function startLocalCameraKeys(options: {
  dataDir: string;
  dynamoDbEndpoint: string;
  region: string;
  stations: readonly string[];
  previous?: readonly SeededCameraKey[];
}): Promise<LocalCameraKeys> {
  const apiStage = { apiId: LOCAL_REST_API_ID, stage: LOCAL_API_STAGE };
  const emulator = new ApiGatewayEmulator({
    region: options.region,
    stateFile: path.join(options.dataDir, 'apigateway', 'state.json'),
    knownStages: [apiStage],
  });
  const apiGatewayEndpoint = await emulator.start();
  try {
    const dynamoDb = createDynamoDbClient({ region: options.region, endpoint: options.dynamoDbEndpoint });
    try {
      await createCameraKeyTable(dynamoDb, LOCAL_CAMERA_KEY_TABLE);
    } finally {
      dynamoDb.destroy();
    }
    const keys = await seedCameraKeys({
      stations: [...options.stations],
      ...(options.previous ? { previous: [...options.previous] } : {}),
      apiGatewayEndpoint,
      dynamoDbEndpoint: options.dynamoDbEndpoint,
      tableName: LOCAL_CAMERA_KEY_TABLE,
      restApiId: apiStage.apiId,
      stage: apiStage.stage,
      region: options.region,
    });
    return {
      keys,
      tableName: LOCAL_CAMERA_KEY_TABLE,
      apiGatewayEndpoint,
      restApiId: apiStage.apiId,
      stage: apiStage.stage,
      usagePlans: new UsagePlanGate({ source: emulator, apiStage }),
      close: () => emulator.close(),
    };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}
