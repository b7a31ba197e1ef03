import path from 'node:path';
import { startDynamoDbEmulator } from './emulators/dynamodb-emulator';
import { SqsEmulator } from './emulators/sqs-emulator';

/** The local alert queue, its dead-letter queue and the alert state table, named like the deployed ones. */
export const LOCAL_ALERT_QUEUE = 'waferwatch-local-alerts';
export const LOCAL_ALERT_DEAD_LETTER_QUEUE = 'waferwatch-local-alerts-dlq';
export const LOCAL_ALERT_STATE_TABLE = 'waferwatch-local-alert-state';

/** The alerting path's stand-ins: SQS (the emulator) and DynamoDB (dynalite). */
export interface AlertServices {
  sqs: SqsEmulator;
  sqsEndpoint: string;
  alertQueueUrl: string;
  deadLetterQueueUrl: string;
  dynamoDbEndpoint: string;
  alertStateTable: string;
  close(): Promise<void>;
}

export interface AlertServicesOptions {
  /** Deliveries before SQS moves an alert to the dead-letter queue (serverless.yml alertMaxAttempts). Default 5. */
  maxReceiveCount?: number;
  /** The SQS emulator's clock, so tests can let visibility timeouts pass without sleeping. */
  now?: () => number;
  /** Keep the alert state here (LevelDB) so a restarted local stack still knows which images it has seen; in memory when unset. */
  dataDir?: string;
}

/**
 * Start the SQS emulator with the alert queue (redrive to its dead-letter queue, visibility 180 s: 6× the
 * place-call timeout, as deployed) and dynalite with the alert state table (partition key `pk`).
 */
export async function startAlertServices(options: AlertServicesOptions = {}): Promise<AlertServices> {
  const sqs = new SqsEmulator(options.now ? { now: options.now } : {});
  const sqsEndpoint = await sqs.start();
  try {
    const deadLetterQueueUrl = sqs.createQueue(LOCAL_ALERT_DEAD_LETTER_QUEUE, { MessageRetentionPeriod: '1209600' });
    const alertQueueUrl = sqs.createQueue(LOCAL_ALERT_QUEUE, {
      VisibilityTimeout: '180',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn(deadLetterQueueUrl), maxReceiveCount: options.maxReceiveCount ?? 5 }),
    });
    const dynamoDb = await startDynamoDbEmulator({
      tables: [{ name: LOCAL_ALERT_STATE_TABLE, partitionKey: 'pk' }],
      ...(options.dataDir ? { directory: path.join(options.dataDir, 'alert-state') } : {}),
    });
    return {
      sqs,
      sqsEndpoint,
      alertQueueUrl,
      deadLetterQueueUrl,
      dynamoDbEndpoint: dynamoDb.endpoint,
      alertStateTable: LOCAL_ALERT_STATE_TABLE,
      close: async () => {
        await Promise.allSettled([sqs.close(), dynamoDb.close()]);
      },
    };
  } catch (error) {
    await sqs.close();
    throw error;
  }
}
