import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ConnectClient } from '@aws-sdk/client-connect';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/** Where and how an AWS client connects. */
export interface AwsClientOptions {
  region: string;
  /**
   * Local or test override (s3rver, the emulators in local/emulators). Unset in AWS.
   * When set, the client signs with dummy credentials unless `credentials` is given,
   * so a laptop never needs (or leaks) a real AWS identity.
   */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Milliseconds to open a connection; defaults to CONNECTION_TIMEOUT_MS. */
  connectionTimeoutMs?: number;
  /** Milliseconds one attempt (request and response) may take; defaults to the client's own constant. */
  requestTimeoutMs?: number;
}

/**
 * Budget: API Gateway gives the Lambda 29 s. The SDK's standard retry mode (3 attempts,
 * jittered backoff of at most 1 s then 2 s for throttling) is kept; what is added are per-attempt
 * timeouts, so a hung dependency costs about 3 × timeout + 3 s (Lookout: ~15 s) and the handler
 * still has time to save the record as not-inspected and answer 503. The timeouts are enforced
 * (`throwOnRequestTimeout`): without it @smithy/node-http-handler only logs a warning and waits on.
 */
export const CONNECTION_TIMEOUT_MS = 2_000;
/** A 4 MiB PUT inside a region takes well under a second; 5 s of silence means the call is stuck. */
export const S3_REQUEST_TIMEOUT_MS = 5_000;
/** DetectAnomalies answers in about a second on a hosted model. */
export const LOOKOUT_REQUEST_TIMEOUT_MS = 4_000;
/**
 * InvokeEndpoint on a real-time endpoint: one image through a defect-detection model answers in a second or two on a
 * CPU instance. SageMaker itself lets a container take up to 60 s, far beyond API Gateway's 29 s, so we stop waiting
 * after 5 s: three attempts then cost at most ~18 s and the handler still saves the image as not-inspected.
 */
export const SAGEMAKER_RUNTIME_REQUEST_TIMEOUT_MS = 5_000;
/** StartOutboundVoiceContact returns as soon as the call is queued, before anyone picks up. */
export const CONNECT_REQUEST_TIMEOUT_MS = 3_000;
/** Single-item conditional writes answer in milliseconds; a second of silence is a stuck connection. */
export const DYNAMODB_REQUEST_TIMEOUT_MS = 1_000;
/** SendMessage and short-poll ReceiveMessage answer in milliseconds (long polls set their own, longer, budget). */
export const SQS_REQUEST_TIMEOUT_MS = 2_000;
/** GetApiKey (the request authorizer, once per container) answers in milliseconds. */
export const APIGATEWAY_REQUEST_TIMEOUT_MS = 2_000;
/** Publish answers in milliseconds. */
export const SNS_REQUEST_TIMEOUT_MS = 2_000;

// s3rver only accepts this key pair; the other emulators ignore signatures.
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The configuration every client shares: region, retries, timeouts and, with an endpoint override, dummy credentials.
 * The clients of the detectors a stage may not use (Lookout for Vision, SageMaker Runtime) are built from it in
 * modules of their own (adapters/lookout, adapters/sagemaker), loaded only when used: their SDK packages stay out of
 * every cold start that does not need them.
 */
export function commonConfig(options: AwsClientOptions, defaultRequestTimeoutMs: number) {
  return {
    region: options.region,
    maxAttempts: 3,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? defaultRequestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: options.credentials ?? LOCAL_CREDENTIALS } : {}),
    ...(!options.endpoint && options.credentials ? { credentials: options.credentials } : {}),
  } as const;
}

/**
 * S3 client for the image bucket. With an endpoint override (s3rver) it uses path-style
 * addressing and only computes/validates checksums when an operation requires them,
 * because s3rver understands neither virtual-host buckets nor the newer default checksums.
 */
export function createS3Client(options: AwsClientOptions): S3Client {
  return new S3Client({
    ...commonConfig(options, S3_REQUEST_TIMEOUT_MS),
    ...(options.endpoint ? { forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

/** Amazon Connect client for StartOutboundVoiceContact. */
export function createConnectClient(options: AwsClientOptions): ConnectClient {
  return new ConnectClient(commonConfig(options, CONNECT_REQUEST_TIMEOUT_MS));
}

/**
 * DynamoDB client for the alert state table. The store wraps it in a document client itself
 * (`toDocumentClient` in dynamodb-alert-state-store.ts): @aws-sdk/lib-dynamodb declares no
 * `sideEffects: false`, so importing it here would put ~40 KB into every function's bundle.
 */
export function createDynamoDbClient(options: AwsClientOptions): DynamoDBClient {
  return new DynamoDBClient(commonConfig(options, DYNAMODB_REQUEST_TIMEOUT_MS));
}

/**
 * SQS client for the alert queue. With an endpoint override (the local SQS emulator) the SDK
 * sends every call there, whatever host the queue URL names.
 */
export function createSqsClient(options: AwsClientOptions): SQSClient {
  return new SQSClient(commonConfig(options, SQS_REQUEST_TIMEOUT_MS));
}

/** SNS client for the topic told when an alert reached nobody. */
export function createSnsClient(options: AwsClientOptions): SNSClient {
  return new SNSClient(commonConfig(options, SNS_REQUEST_TIMEOUT_MS));
}

/** API Gateway control-plane client: the request authorizer reads the people's usage-plan key with it, once per container. */
export function createApiGatewayClient(options: AwsClientOptions): APIGatewayClient {
  return new APIGatewayClient(commonConfig(options, APIGATEWAY_REQUEST_TIMEOUT_MS));
}
