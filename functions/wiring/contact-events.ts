import { z } from 'zod';
import { createDynamoDbClient, createS3Client, createSqsClient } from '../adapters/aws-clients';
import { toDocumentClient } from '../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../adapters/dynamodb/dynamodb-escalation-store';
import { S3InspectionStore } from '../adapters/s3/s3-inspection-store';
import { SqsAlertQueue } from '../adapters/sqs/sqs-alert-queue';
import { ConfigurationError } from '../config/environment';
import type { CallOutcomeDependencies } from '../core/record-call-outcome';
import { getObservability, traced } from '../adapters/observability/observability';

const contactEventsSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  IMAGE_BUCKET: z.string({ error: 'IMAGE_BUCKET environment variable is not set' }).min(3),
  S3_ENDPOINT: z.url().optional(),
  ALERT_STATE_TABLE: z.string({ error: 'ALERT_STATE_TABLE environment variable is not set' }).min(3),
  DYNAMODB_ENDPOINT: z.url().optional(),
  ALERT_QUEUE_URL: z.url({ error: 'ALERT_QUEUE_URL environment variable is not set (or not a URL)' }),
  ALERT_DEAD_LETTER_QUEUE_URL: z.url({ error: 'ALERT_DEAD_LETTER_QUEUE_URL environment variable is not set (or not a URL)' }),
  SQS_ENDPOINT: z.url().optional(),
});

/** The configuration the contact-events function reads: only what it uses (no Connect ids, no phone numbers). */
export type ContactEventsConfig = z.infer<typeof contactEventsSchema>;

/** Parse the contact-events function's environment; throws ConfigurationError naming each bad variable. */
export function parseContactEventsConfig(env: Record<string, string | undefined> = process.env): ContactEventsConfig {
  const result = contactEventsSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => issue.message);
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Build what recording call outcomes uses: the records, the ladders and the alert queue. */
export function createContactEventsDependencies(config: ContactEventsConfig, logger = getObservability().logger): CallOutcomeDependencies {
  const s3 = traced(createS3Client({ region: config.AWS_REGION, endpoint: config.S3_ENDPOINT }));
  const dynamoDb = traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  const sqs = traced(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT }));
  return {
    store: new S3InspectionStore({ client: s3, bucket: config.IMAGE_BUCKET }),
    ladders: new DynamoDbEscalationStore({ client: toDocumentClient(dynamoDb), tableName: config.ALERT_STATE_TABLE }),
    queue: new SqsAlertQueue({ client: sqs, queueUrl: config.ALERT_QUEUE_URL, deadLetterQueueUrl: config.ALERT_DEAD_LETTER_QUEUE_URL }),
    logger,
  };
}

let containerDependencies: CallOutcomeDependencies | undefined;

/** This container's contact-events dependencies, built on first use from the parsed environment. */
export function getContactEventsDependencies(): CallOutcomeDependencies {
  containerDependencies ??= createContactEventsDependencies(parseContactEventsConfig());
  return containerDependencies;
}
