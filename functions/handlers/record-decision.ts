import { createDynamoDbClient, createS3Client } from '../adapters/aws-clients';
import { toDocumentClient } from '../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../adapters/dynamodb/dynamodb-escalation-store';
import { S3InspectionStore } from '../adapters/s3/s3-inspection-store';
import { getObservability, traced, withObservability } from '../adapters/observability/observability';
import { createRecordDecisionHandler, parseRecordDecisionConfig } from '../adapters/connect/record-decision-handler';

// Built during the Lambda init phase, so bad configuration fails the cold start by name. Only the bucket and the
// alert state table are read: this function needs no Connect ids or phone numbers.
const config = parseRecordDecisionConfig();
const dependencies = {
  store: new S3InspectionStore({
    client: traced(createS3Client({ region: config.AWS_REGION, endpoint: config.S3_ENDPOINT })),
    bucket: config.IMAGE_BUCKET,
  }),
  ...(config.ALERT_STATE_TABLE
    ? {
        ladders: new DynamoDbEscalationStore({
          client: toDocumentClient(traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }))),
          tableName: config.ALERT_STATE_TABLE,
        }),
      }
    : {}),
  logger: getObservability().logger,
};

/** Invoked by Amazon Connect from the wafer-anomaly-alert flow: records the operator's decision and acknowledges the alert. */
export const handler = withObservability(createRecordDecisionHandler(() => dependencies));
