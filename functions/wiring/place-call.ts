import type { Logger } from '@aws-lambda-powertools/logger';
import { createConnectClient, createSnsClient } from '../adapters/aws-clients';
import { ConnectOperatorCaller } from '../adapters/connect/connect-operator-caller';
import { createLogger } from '../adapters/observability/logger';
import {
  countCallResult,
  createRequestObserver,
  getObservability,
  traced,
  withObservability,
  type Observability,
} from '../adapters/observability/observability';
import { SnsAlertNotifier } from '../adapters/sns/sns-alert-notifier';
import { createPlaceCallHandler, type PlaceCallHandlerDependencies } from '../adapters/sqs/place-call-handler';
import { alertDeadLetterQueueConfig, alertQueueConfig } from '../config/alert-queue';
import { alertStateConfig } from '../config/alert-state';
import { callPolicyConfig } from '../config/call-policy';
import { connectConfig } from '../config/connect';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { stationRegistryConfig } from '../config/station-registry';
import { unacknowledgedAlertsConfig } from '../config/unacknowledged-alerts';
import type { PlaceCallResult } from '../core/place-operator-call';
import { defaultStation } from '../core/station-registry';
import type { StationLookup } from '../core/ports/station-registry';
import { createAlertQueue, createAlertStateStores } from './shared/alerting';
import { createInspectionStore } from './shared/inspection-store';
import { createStationRegistry } from './shared/station-registry';

/** What the place-call function reads of its environment: the only function that rings anyone, so the only one with Connect. */
export const PLACE_CALL_CONFIG = [
  regionConfig,
  imageBucketConfig,
  alertQueueConfig,
  alertDeadLetterQueueConfig,
  alertStateConfig,
  stationRegistryConfig,
  connectConfig,
  callPolicyConfig,
  unacknowledgedAlertsConfig,
] as const;

export type PlaceCallConfig = ConfigOfAll<typeof PLACE_CALL_CONFIG>;

/** Parse the place-call function's environment; throws ConfigurationError naming each bad variable. */
export function readPlaceCallConfig(env: Record<string, string | undefined> = process.env): PlaceCallConfig {
  return parseEnvironment(PLACE_CALL_CONFIG, env);
}

/** The place-call function's timeout (serverless.yml); an alert's lease outlasts one invocation. */
const PLACE_CALL_TIMEOUT_SECONDS = 30;

/** Everything the place-call function uses, built once per container from its configuration. */
export function createPlaceCallDependencies(
  config: PlaceCallConfig,
  logger: Logger = createLogger(),
  observability?: Observability,
): PlaceCallHandlerDependencies & { config: PlaceCallConfig } {
  const { store } = createInspectionStore(config);
  const queue = createAlertQueue(config);
  const { dynamoDb, alertState, ladders } = createAlertStateStores(config);
  const registry = createStationRegistry(config, dynamoDb);
  // Without a registry there is one station, whose ladder is OPERATOR_PHONE_NUMBER.
  const station = defaultStation(config.OPERATOR_PHONE_NUMBER);
  const stations: StationLookup = registry ? (stationId) => registry.getStation(stationId) : async () => station;
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
    stations,
    timers: queue,
    notifier,
    queue,
    logger,
    policy: {
      stationCooldownMs: config.STATION_CALL_COOLDOWN_SECONDS * 1000,
      dailyCallCap: config.DAILY_CALL_CAP,
      stationDailyCallCap: config.STATION_DAILY_CALL_CAP,
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
 * The alert queue's consumer (SQS event source with ReportBatchItemFailures), built once per container during the init
 * phase: bad configuration fails the cold start by name.
 */
export function wirePlaceCall(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createPlaceCallDependencies(readPlaceCallConfig(env), observability.logger, observability);
  const observer = createRequestObserver(observability);
  return withObservability(
    createPlaceCallHandler(() => ({ ...dependencies, observer })),
    observability,
  );
}
