import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createConnectClient, createDynamoDbClient, createSqsClient } from './adapters/aws-clients';
import { ConnectOperatorCaller } from './adapters/connect-operator-caller';
import { DynamoDbAlertStateStore, toDocumentClient } from './adapters/dynamodb-alert-state-store';
import { SqsAlertQueue } from './adapters/sqs-alert-queue';
import { getConfig, type Config } from './config';
import type { ImageClaims } from './core/ports';
import type { PlaceCallResult } from './core/place-operator-call';
import { createLogger } from './logger';
import { getObservability, traced, type Observability } from './observability';
import type { PlaceCallHandlerDependencies } from './routes/place-call-handler';
import { createStoreDependencies } from './store-dependencies';

/** The alert queue and the alert state store of a configuration (shared by the inspecting functions and place-call). */
export function createAlertAdapters(config: Config): { queue: SqsAlertQueue; alertState: DynamoDbAlertStateStore } {
  const sqs = traced(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT }));
  const dynamoDb = traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  return {
    queue: new SqsAlertQueue({ client: sqs, queueUrl: config.ALERT_QUEUE_URL, deadLetterQueueUrl: config.ALERT_DEAD_LETTER_QUEUE_URL }),
    alertState: new DynamoDbAlertStateStore({ client: toDocumentClient(dynamoDb), tableName: config.ALERT_STATE_TABLE }),
  };
}

/** The image claims the inspection pipeline uses, kept for IMAGE_DEDUPE_TTL_SECONDS. */
export function imageClaimsOf(alertState: DynamoDbAlertStateStore, config: Config): ImageClaims {
  return { claim: (sha256, inspectionId) => alertState.claimImage(sha256, inspectionId, config.IMAGE_DEDUPE_TTL_SECONDS) };
}

/** The place-call function's timeout (serverless.yml); an alert's lease outlasts one invocation. */
const PLACE_CALL_TIMEOUT_SECONDS = 30;

/** Everything the place-call function uses, built once per container from the configuration. */
export function createPlaceCallDependencies(
  config: Config,
  logger: Logger = createLogger(),
  observability?: Observability,
): PlaceCallHandlerDependencies & { config: Config } {
  const { store } = createStoreDependencies(config, logger);
  const { queue, alertState } = createAlertAdapters(config);
  const caller = new ConnectOperatorCaller({
    client: traced(createConnectClient({ region: config.AWS_REGION, endpoint: config.CONNECT_ENDPOINT })),
    instanceId: config.CONNECT_INSTANCE_ID,
    contactFlowId: config.CONNECT_CONTACT_FLOW_ID,
    sourcePhoneNumber: config.CONNECT_SOURCE_PHONE_NUMBER,
    destinationPhoneNumber: config.OPERATOR_PHONE_NUMBER,
    allowedCountryPrefixes: config.OPERATOR_COUNTRY_PREFIXES,
  });
  return {
    config,
    store,
    caller,
    alertState,
    queue,
    logger,
    policy: {
      stationCooldownMs: config.STATION_CALL_COOLDOWN_SECONDS * 1000,
      dailyCallCap: config.DAILY_CALL_CAP,
      maxAttempts: config.ALERT_MAX_ATTEMPTS,
      leaseSeconds: PLACE_CALL_TIMEOUT_SECONDS + 10,
      retryBaseSeconds: config.ALERT_RETRY_BASE_SECONDS,
    },
    ...(observability ? { onResult: (result: PlaceCallResult) => countCallResult(observability, result) } : {}),
  };
}

/** The call metrics: CallsPlaced, CallsFolded, CallsRetried and CallsFailed (the alarm in serverless.yml reads it). */
export function countCallResult({ metrics }: Observability, result: PlaceCallResult): void {
  const name = { placed: 'CallsPlaced', folded: 'CallsFolded', retry: 'CallsRetried', 'dead-letter': 'CallsFailed', duplicate: 'DuplicateAlerts' }[result.result];
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (result.result === 'dead-letter') metrics.addMetadata('failureCode', result.code);
}

let containerDependencies: ReturnType<typeof createPlaceCallDependencies> | undefined;

/** This container's place-call dependencies, built on first use from the parsed environment. */
export function getPlaceCallDependencies(): ReturnType<typeof createPlaceCallDependencies> {
  const observability = getObservability();
  containerDependencies ??= createPlaceCallDependencies(getConfig(), observability.logger, observability);
  return containerDependencies;
}
