import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, createSqsClient } from '../../adapters/aws-clients';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../adapters/dynamodb/dynamodb-escalation-store';
import { traced } from '../../adapters/observability/observability';
import { SqsAlertPublisher, SqsAlertQueue } from '../../adapters/sqs/sqs-alert-queue';
import type { alertDeadLetterQueueConfig, alertQueueConfig } from '../../config/alert-queue';
import type { alertStateConfig } from '../../config/alert-state';
import type { ConfigOf } from '../../config/environment';
import type { regionConfig } from '../../config/region';

type AlertQueueConfig = ConfigOf<typeof regionConfig> & ConfigOf<typeof alertQueueConfig>;

/** Publishing on the alert queue (the inspecting functions, contact-events). */
export function createAlertPublisher(config: AlertQueueConfig): SqsAlertPublisher {
  return new SqsAlertPublisher({
    client: traced(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT })),
    queueUrl: config.ALERT_QUEUE_URL,
  });
}

/** The alert queue as its consumer uses it: publishing, retry backoff and the dead-letter queue (place-call). */
export function createAlertQueue(config: AlertQueueConfig & ConfigOf<typeof alertDeadLetterQueueConfig>): SqsAlertQueue {
  return new SqsAlertQueue({
    client: traced(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT })),
    queueUrl: config.ALERT_QUEUE_URL,
    deadLetterQueueUrl: config.ALERT_DEAD_LETTER_QUEUE_URL,
  });
}

/** The alert state table's two stores (alert state and escalation ladders) on one traced DynamoDB client. */
export function createAlertStateStores(config: ConfigOf<typeof regionConfig> & ConfigOf<typeof alertStateConfig>): {
  dynamoDb: DynamoDBClient;
  alertState: DynamoDbAlertStateStore;
  ladders: DynamoDbEscalationStore;
} {
  const dynamoDb = traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  const documents = toDocumentClient(dynamoDb);
  return {
    dynamoDb,
    alertState: new DynamoDbAlertStateStore({ client: documents, tableName: config.ALERT_STATE_TABLE }),
    ladders: new DynamoDbEscalationStore({ client: documents, tableName: config.ALERT_STATE_TABLE }),
  };
}
