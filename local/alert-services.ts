import path from 'node:path';
import { startDynamoDbEmulator } from './emulators/dynamodb-emulator';
import { SnsEmulator } from './emulators/sns-emulator';
import { SqsEmulator } from './emulators/sqs-emulator';

/** The local alert queue, its dead-letter queue and the alert state table, named like the deployed ones. */
export const LOCAL_ALERT_QUEUE = 'waferwatch-local-alerts';
export const LOCAL_ALERT_DEAD_LETTER_QUEUE = 'waferwatch-local-alerts-dlq';
export const LOCAL_ALERT_STATE_TABLE = 'waferwatch-local-alert-state';
/** The station registry (each station's escalation ladder), when the local stack is given a STATIONS_FILE. */
export const LOCAL_STATION_REGISTRY_TABLE = 'waferwatch-local-stations';
/** The SNS topic told when an alert reached nobody (serverless.yml AlertUnacknowledgedTopic). */
export const LOCAL_ALERT_UNACKNOWLEDGED_TOPIC = 'waferwatch-local-alert-unacknowledged';

/** The alerting path's stand-ins: SQS (the emulator) and DynamoDB (dynalite). */
export interface AlertServices {
  sqs: SqsEmulator;
  sqsEndpoint: string;
  alertQueueUrl: string;
  deadLetterQueueUrl: string;
  dynamoDbEndpoint: string;
  alertStateTable: string;
  /** Set when the station registry table was asked for (same dynalite as the alert state). */
  stationRegistryTable?: string;
  /** The SNS emulator and the topic people are told on when an alert reached nobody. */
  sns: SnsEmulator;
  snsEndpoint: string;
  unacknowledgedTopicArn: string;
  close(): Promise<void>;
}

export interface AlertServicesOptions {
  /** Deliveries before SQS moves an alert to the dead-letter queue (serverless.yml alertMaxAttempts). Default 5. */
  maxReceiveCount?: number;
  /** The SQS emulator's clock, so tests can let visibility timeouts pass without sleeping. */
  now?: () => number;
  /**
   * Keep the alert state (LevelDB) and the queues (a JSON file) here, so a restarted local stack still knows which images
   * it has seen and finishes the ladders it was ringing (their timers are delayed messages); in memory when unset.
   */
  dataDir?: string;
  /** Also create the station registry table (partition key `stationId`), as deployed (StationRegistryTable). */
  stationRegistry?: boolean;
}

/**
 * Start the SQS emulator with the alert queue (redrive to its dead-letter queue, visibility 180 s: 6× the
 * place-call timeout, as deployed) and dynalite with the alert state table (partition key `pk`) and, when asked, the
 * station registry table (partition key `stationId`).
 */
export async function startAlertServices(options: AlertServicesOptions = {}): Promise<AlertServices> {
  // dynalite starts in a worker thread of its own (see emulators/dynamodb-emulator.ts), meanwhile SQS and SNS start here.
  const dynamoDbStarting = startDynamoDbEmulator({
    tables: [
      { name: LOCAL_ALERT_STATE_TABLE, partitionKey: 'pk' },
      ...(options.stationRegistry ? [{ name: LOCAL_STATION_REGISTRY_TABLE, partitionKey: 'stationId' }] : []),
    ],
    ...(options.dataDir ? { directory: path.join(options.dataDir, 'alert-state') } : {}),
  });
  // Awaited below (or closed after another failure): never an unhandled rejection meanwhile.
  dynamoDbStarting.catch(() => undefined);
  const closeDynamoDb = () => dynamoDbStarting.then((dynamoDb) => dynamoDb.close());
  const sqs = new SqsEmulator({
    ...(options.now ? { now: options.now } : {}),
    ...(options.dataDir ? { persistTo: path.join(options.dataDir, 'sqs', 'queues.json') } : {}),
  });
  let sqsEndpoint: string;
  try {
    sqsEndpoint = await sqs.start();
  } catch (error) {
    await Promise.allSettled([closeDynamoDb()]);
    throw error;
  }
  const sns = new SnsEmulator();
  try {
    const snsEndpoint = await sns.start();
    const unacknowledgedTopicArn = sns.createTopic(LOCAL_ALERT_UNACKNOWLEDGED_TOPIC);
    const deadLetterQueueUrl = sqs.createQueue(LOCAL_ALERT_DEAD_LETTER_QUEUE, { MessageRetentionPeriod: '1209600' });
    const alertQueueUrl = sqs.createQueue(LOCAL_ALERT_QUEUE, {
      VisibilityTimeout: '180',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(deadLetterQueueUrl), maxReceiveCount: options.maxReceiveCount ?? 5 }),
    });
    const dynamoDb = await dynamoDbStarting;
    return {
      sqs,
      sqsEndpoint,
      alertQueueUrl,
      deadLetterQueueUrl,
      dynamoDbEndpoint: dynamoDb.endpoint,
      alertStateTable: LOCAL_ALERT_STATE_TABLE,
      ...(options.stationRegistry ? { stationRegistryTable: LOCAL_STATION_REGISTRY_TABLE } : {}),
      sns,
      snsEndpoint,
      unacknowledgedTopicArn,
      close: async () => {
        await Promise.allSettled([sqs.close(), dynamoDb.close(), sns.close()]);
      },
    };
  } catch (error) {
    await Promise.allSettled([sqs.close(), sns.close(), closeDynamoDb()]);
    throw error;
  }
}
