import type { Logger } from '@aws-lambda-powertools/logger';
import { createDynamoDbClient } from '../adapters/aws-clients';
import { createRecordDecisionHandler, type RecordDecisionHandlerDependencies } from '../adapters/connect/record-decision-handler';
import { toDocumentClient } from '../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../adapters/dynamodb/dynamodb-escalation-store';
import { createLogger } from '../adapters/observability/logger';
import { S3FeedbackImages } from '../adapters/s3/s3-feedback-images';
import { getObservability, traced, withObservability } from '../adapters/observability/observability';
import { optionalAlertStateConfig } from '../config/alert-state';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What the record-decision function reads of its environment: the bucket and the ladders' table (no Connect ids, no numbers). */
export const RECORD_DECISION_CONFIG = [regionConfig, imageBucketConfig, optionalAlertStateConfig] as const;

export type RecordDecisionConfig = ConfigOfAll<typeof RECORD_DECISION_CONFIG>;

/** Parse the record-decision function's environment; throws ConfigurationError naming each bad variable. */
export function readRecordDecisionConfig(env: Record<string, string | undefined> = process.env): RecordDecisionConfig {
  return parseEnvironment(RECORD_DECISION_CONFIG, env);
}

/** The inspection store and, when ALERT_STATE_TABLE is set, the escalation ladders a keypress acknowledges. */
export function createRecordDecisionDependencies(config: RecordDecisionConfig, logger: Logger = createLogger()): RecordDecisionHandlerDependencies {
  const { s3, store } = createInspectionStore(config);
  return {
    store,
    // The answer labels the wafer (keep: normal, scrap: a defect) and keeps its image for training.
    feedback: new S3FeedbackImages({ client: s3, bucket: config.IMAGE_BUCKET }),
    ...(config.ALERT_STATE_TABLE
      ? {
          ladders: new DynamoDbEscalationStore({
            client: toDocumentClient(traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }))),
            tableName: config.ALERT_STATE_TABLE,
          }),
        }
      : {}),
    logger,
  };
}

/**
 * The handler Amazon Connect invokes from the wafer-anomaly-alert flow, built once per container during the init
 * phase: bad configuration fails the cold start by name.
 */
export function wireRecordDecision(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createRecordDecisionDependencies(readRecordDecisionConfig(env), observability.logger);
  return withObservability(
    createRecordDecisionHandler(() => dependencies),
    observability,
  );
}
