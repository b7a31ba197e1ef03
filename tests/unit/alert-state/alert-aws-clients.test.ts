import { describe, expect, it } from 'vitest';
import { DYNAMODB_REQUEST_TIMEOUT_MS, SQS_REQUEST_TIMEOUT_MS, createDynamoDbClient, createSqsClient } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';

type HandlerConfig = { configProvider: Promise<Record<string, unknown>> };

describe('alerting client factories', () => {
  it('gives the DynamoDB document client standard retries, an enforced timeout, local credentials with an endpoint, and drops undefined members', async () => {
    // Act
    const documents = toDocumentClient(createDynamoDbClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000' }));

    // Assess
    expect(await documents.config.maxAttempts()).toBe(3);
    expect(await documents.config.credentials()).toMatchObject({ accessKeyId: 'S3RVER' });
    expect(documents.config.translateConfig?.marshallOptions?.removeUndefinedValues).toBe(true);
    const handler = documents.config.requestHandler as unknown as HandlerConfig;
    expect(await handler.configProvider).toMatchObject({ requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
    documents.destroy();
  });

  it('points the SQS client at an endpoint override with standard retries and an enforced timeout', async () => {
    // Act
    const sqs = createSqsClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9324' });

    // Assess
    const endpoint = await sqs.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:9324');
    expect(await sqs.config.maxAttempts()).toBe(3);
    const handler = sqs.config.requestHandler as unknown as HandlerConfig;
    expect(await handler.configProvider).toMatchObject({ requestTimeout: SQS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
    sqs.destroy();
  });
});
