import type { ConnectClient } from '@aws-sdk/client-connect';
import type { LookoutVisionClient } from '@aws-sdk/client-lookoutvision';
import type { S3Client } from '@aws-sdk/client-s3';
import { createConnectClient, createS3Client, type AwsClientOptions } from '../../functions/adapters/aws-clients';
import { createLookoutVisionClient } from '../../functions/adapters/lookout/lookout-vision-client';
import { ConnectEmulator, type ConnectEmulatorOptions } from '../../local/emulators/connect-emulator';
import { LookoutVisionEmulator, type DetectionDecision } from '../../local/emulators/lookout-vision-emulator';
import { startS3Emulator, type S3Emulator } from '../../local/emulators/s3-emulator';

/** Names every stand-in is configured with (and the env the functions' configuration, functions/config/, points at). */
export const STAND_IN_NAMES = {
  region: 'us-east-1',
  bucket: 'waferwatch-test-images',
  lookoutProjectName: 'waferwatch',
  lookoutModelVersion: '1',
  connectInstanceId: '11111111-2222-3333-4444-555555555555',
  connectContactFlowId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  sourcePhoneNumber: '+14155550100',
  operatorPhoneNumber: '+14155550199',
} as const;

export interface LocalAwsStandIns {
  s3: S3Emulator;
  lookout: LookoutVisionEmulator;
  connect: ConnectEmulator;
  names: typeof STAND_IN_NAMES;
  /** Real SDK clients (functions/adapters/aws-clients.ts) pointed at the stand-ins. */
  clients: { s3: S3Client; lookout: LookoutVisionClient; connect: ConnectClient };
  /**
   * Environment for the functions' configuration readers (functions/wiring/<function>.ts) pointing at the stand-ins,
   * with DETECTOR=lookoutvision. Override entries as needed.
   */
  env: Record<string, string>;
  /** Stop everything (clients, servers) and remove the temp directory. Call in afterAll. */
  close(): Promise<void>;
}

export interface LocalAwsStandInsOptions {
  /** Replace the Lookout emulator's default red-mark rule. */
  decide?: DetectionDecision;
  connect?: Pick<ConnectEmulatorOptions, 'allowedDestinationPrefixes'>;
  /** Client timeout overrides, e.g. a short requestTimeoutMs for hang tests. */
  clientOptions?: Pick<AwsClientOptions, 'requestTimeoutMs' | 'connectionTimeoutMs'>;
}

/**
 * Start s3rver (own temp directory, bucket created), the Lookout for Vision emulator and the
 * Connect emulator, each on a free 127.0.0.1 port, and build the real SDK clients against them.
 * Every call starts its own set, so test files can run in parallel.
 */
export async function startLocalAwsStandIns(options: LocalAwsStandInsOptions = {}): Promise<LocalAwsStandIns> {
  const names = STAND_IN_NAMES;
  const s3 = await startS3Emulator({ buckets: [names.bucket] });
  const lookout = new LookoutVisionEmulator({
    models: [{ projectName: names.lookoutProjectName, modelVersion: names.lookoutModelVersion, hosted: true }],
    ...(options.decide ? { decide: options.decide } : {}),
  });
  const connect = new ConnectEmulator({
    instanceId: names.connectInstanceId,
    contactFlowId: names.connectContactFlowId,
    ...options.connect,
  });
  try {
    await Promise.all([lookout.start(), connect.start()]);
  } catch (error) {
    await Promise.allSettled([s3.close(), lookout.close(), connect.close()]);
    throw error;
  }
  const clients = {
    s3: createS3Client({ region: names.region, endpoint: s3.endpoint, ...options.clientOptions }),
    lookout: createLookoutVisionClient({ region: names.region, endpoint: lookout.endpoint, ...options.clientOptions }),
    connect: createConnectClient({ region: names.region, endpoint: connect.endpoint, ...options.clientOptions }),
  };
  const env: Record<string, string> = {
    STAGE: 'local',
    AWS_REGION: names.region,
    IMAGE_BUCKET: names.bucket,
    S3_ENDPOINT: s3.endpoint,
    DETECTOR: 'lookoutvision',
    LOOKOUT_PROJECT_NAME: names.lookoutProjectName,
    LOOKOUT_MODEL_VERSION: names.lookoutModelVersion,
    LOOKOUT_ENDPOINT: lookout.endpoint,
    CONNECT_INSTANCE_ID: names.connectInstanceId,
    CONNECT_CONTACT_FLOW_ID: names.connectContactFlowId,
    CONNECT_SOURCE_PHONE_NUMBER: names.sourcePhoneNumber,
    OPERATOR_PHONE_NUMBER: names.operatorPhoneNumber,
    CONNECT_ENDPOINT: connect.endpoint,
    // Not started here (tests/helpers/alerting-stack.ts adds the SQS emulator and dynalite); required by the config.
    // The endpoints point at a closed loopback port so a test that forgets them fails fast instead of reaching AWS.
    SQS_ENDPOINT: 'http://127.0.0.1:9',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    ALERT_QUEUE_URL: 'http://127.0.0.1:9/000000000000/waferwatch-test-alerts',
    ALERT_DEAD_LETTER_QUEUE_URL: 'http://127.0.0.1:9/000000000000/waferwatch-test-alerts-dlq',
    ALERT_STATE_TABLE: 'waferwatch-test-alert-state',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  };
  return {
    s3,
    lookout,
    connect,
    names,
    clients,
    env,
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.allSettled([s3.close(), lookout.close(), connect.close()]);
    },
  };
}
