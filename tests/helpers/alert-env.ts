import type { AlertServices } from '../../local/alert-services';

/**
 * The configuration (read by functions/wiring/<function>.ts) that points the deployed wiring's alert queue and image claims at local
 * alert services (local/alert-services.ts), so no test's SQS or DynamoDB request leaves the machine.
 */
export function alertEnv(services: AlertServices): Record<string, string> {
  return {
    SQS_ENDPOINT: services.sqsEndpoint,
    ALERT_QUEUE_URL: services.alertQueueUrl,
    ALERT_DEAD_LETTER_QUEUE_URL: services.deadLetterQueueUrl,
    DYNAMODB_ENDPOINT: services.dynamoDbEndpoint,
    ALERT_STATE_TABLE: services.alertStateTable,
  };
}
