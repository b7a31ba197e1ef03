import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createConnectClient, createDynamoDbClient, createSnsClient, createSqsClient } from '../adapters/aws-clients';
import { ConnectOperatorCaller } from '../adapters/connect/connect-operator-caller';
import { DynamoDbAlertStateStore, toDocumentClient } from '../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../adapters/dynamodb/dynamodb-escalation-store';
import { SnsAlertNotifier } from '../adapters/sns/sns-alert-notifier';
import { SqsAlertQueue } from '../adapters/sqs/sqs-alert-queue';
import { getConfig, type Config } from '../config/environment';
import type { ImageClaims } from '../core/ports/alert-state-store';
import type { PlaceCallResult } from '../core/place-operator-call';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, traced, type Observability } from '../adapters/observability/observability';
import type { PlaceCallHandlerDependencies } from '../adapters/sqs/place-call-handler';
import { createStationDependencies } from './shared/stations';
import { createStoreDependencies } from './shared/inspection-store';

/** The alert queue and the alert state store of a configuration (shared by the inspecting functions and place-call). */
export function createAlertAdapters(config: Config): {
  queue: SqsAlertQueue;
  alertState: DynamoDbAlertStateStore;
  ladders: DynamoDbEscalationStore;
  dynamoDb: DynamoDBClient;
} {
  const sqs = traced(createSqsClient({ region: config.AWS_REGION, endpoint: config.SQS_ENDPOINT }));
  const dynamoDb = traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  const documents = toDocumentClient(dynamoDb);
  return {
    queue: new SqsAlertQueue({ client: sqs, queueUrl: config.ALERT_QUEUE_URL, deadLetterQueueUrl: config.ALERT_DEAD_LETTER_QUEUE_URL }),
    alertState: new DynamoDbAlertStateStore({ client: documents, tableName: config.ALERT_STATE_TABLE }),
    ladders: new DynamoDbEscalationStore({ client: documents, tableName: config.ALERT_STATE_TABLE }),
    dynamoDb,
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
  const { queue, alertState, ladders, dynamoDb } = createAlertAdapters(config);
  const stations = createStationDependencies(config, dynamoDb);
  const caller = new ConnectOperatorCaller({
    client: traced(createConnectClient({ region: config.AWS_REGION, endpoint: config.CONNECT_ENDPOINT })),
    instanceId: config.CONNECT_INSTANCE_ID,
    contactFlowId: config.CONNECT_CONTACT_FLOW_ID,
    sourcePhoneNumber: config.CONNECT_SOURCE_PHONE_NUMBER,
    allowedCountryPrefixes: config.OPERATOR_COUNTRY_PREFIXES,
    callsPerSecond: config.CONNECT_CALLS_PER_SECOND,
  });
  const notifier = new SnsAlertNotifier({
    ...(config.ALERT_UNACKNOWLEDGED_TOPIC_ARN
      ? { client: traced(createSnsClient({ region: config.AWS_REGION, endpoint: config.SNS_ENDPOINT })), topicArn: config.ALERT_UNACKNOWLEDGED_TOPIC_ARN }
      : {}),
    logger,
  });
  return {
    config,
    store,
    caller,
    alertState,
    ladders,
    stations: stations.lookup,
    timers: queue,
    notifier,
    queue,
    logger,
    policy: {
      stationCooldownMs: config.STATION_CALL_COOLDOWN_SECONDS * 1000,
      dailyCallCap: config.DAILY_CALL_CAP,
      maxAttempts: config.ALERT_MAX_ATTEMPTS,
      leaseSeconds: PLACE_CALL_TIMEOUT_SECONDS + 10,
      retryBaseSeconds: config.ALERT_RETRY_BASE_SECONDS,
      ackTimeoutSeconds: config.ACK_TIMEOUT_SECONDS,
      escalationLoops: config.ESCALATION_LOOPS,
    },
    ...(observability ? { onResult: (result: PlaceCallResult) => countCallResult(observability, result) } : {}),
  };
}

/**
 * The call metrics: CallsPlaced (a ladder's first level rang), CallsEscalated, AlertsUnacknowledged (its alarm notifies
 * people), CallsFolded, CallsRetried and CallsFailed (the alarms in serverless.yml read them).
 */
export function countCallResult({ metrics }: Observability, result: PlaceCallResult): void {
  const names: Partial<Record<PlaceCallResult['result'], string>> = {
    placed: 'CallsPlaced',
    escalated: 'CallsEscalated',
    unacknowledged: 'AlertsUnacknowledged',
    folded: 'CallsFolded',
    retry: 'CallsRetried',
    'dead-letter': 'CallsFailed',
    duplicate: 'DuplicateAlerts',
  };
  const name = names[result.result];
  if (!name) return;
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
