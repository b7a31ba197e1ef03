import { describe, expect, it } from 'vitest';
import {
  CONNECT_REQUEST_TIMEOUT_MS,
  DYNAMODB_REQUEST_TIMEOUT_MS,
  LOOKOUT_REQUEST_TIMEOUT_MS,
  SQS_REQUEST_TIMEOUT_MS,
  createConnectClient,
  createDynamoDbClient,
  createS3Client,
  createSqsClient,
} from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { createLookoutVisionClient } from '../../../functions/adapters/lookout/lookout-vision-client';

describe('AWS client factories', () => {
  it('points an S3 client with an endpoint override at it, path-style, with checksums only when required and local credentials', async () => {
    // Act
    const client = createS3Client({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569' });

    // Assess
    const endpoint = await client.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:4569');
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    expect(await client.config.region()).toBe('eu-west-1');
    client.destroy();
  });

  it('leaves S3 addressing, checksums and credentials at the SDK defaults in AWS', async () => {
    // Act
    const client = createS3Client({ region: 'eu-west-1' });

    // Assess
    expect(client.config.forcePathStyle).toBe(false);
    expect(await client.config.requestChecksumCalculation()).toBe('WHEN_SUPPORTED');
    expect(client.config.endpoint).toBeUndefined();
    client.destroy();
  });

  it('keeps standard retries with three attempts on every client', async () => {
    // Act
    const clients = [
      createS3Client({ region: 'us-east-1' }),
      createLookoutVisionClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1' }),
      createConnectClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:2' }),
    ];

    // Assess
    for (const client of clients) {
      expect(await client.config.maxAttempts()).toBe(3);
      expect((await client.config.retryStrategy()) as { mode?: string }).toMatchObject({ mode: 'standard' });
      client.destroy();
    }
  });

  it('enforces request timeouts instead of only warning', async () => {
    // Act
    const lookout = createLookoutVisionClient({ region: 'us-east-1' });
    const connect = createConnectClient({ region: 'us-east-1', requestTimeoutMs: 1234 });

    // Assess
    // The resolved handler options are internal to NodeHttpHandler; reading them is the only way to see what a request would get.
    const lookoutHandler = lookout.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    const connectHandler = connect.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    expect(await lookoutHandler.configProvider).toMatchObject({
      requestTimeout: LOOKOUT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      connectionTimeout: 2000,
    });
    expect(await connectHandler.configProvider).toMatchObject({ requestTimeout: 1234, throwOnRequestTimeout: true });
    expect(CONNECT_REQUEST_TIMEOUT_MS).toBeLessThan(29_000 / 3);
    lookout.destroy();
    connect.destroy();
  });
});

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
