import type { Logger } from '@aws-lambda-powertools/logger';
import { createReviewInspectionHandler, type ReviewInspectionRouteDependencies } from '../adapters/http/review-inspection-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { S3FeedbackImages } from '../adapters/s3/s3-feedback-images';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What POST /inspections/{id}/review reads of its environment: the bucket and the CORS origins. */
export const REVIEW_INSPECTION_CONFIG = [regionConfig, imageBucketConfig, apiConfig] as const;

export type ReviewInspectionConfig = ConfigOfAll<typeof REVIEW_INSPECTION_CONFIG>;

/** Parse the review function's environment; throws ConfigurationError naming each bad variable. */
export function readReviewInspectionConfig(env: Record<string, string | undefined> = process.env): ReviewInspectionConfig {
  return parseEnvironment(REVIEW_INSPECTION_CONFIG, env);
}

/** The inspection store and the feedback folder on the same bucket. */
export function createReviewInspectionDependencies(
  config: ReviewInspectionConfig,
  logger: Logger = createLogger(),
): ReviewInspectionRouteDependencies & { logger: Logger } {
  const { s3, store } = createInspectionStore(config);
  return { store, feedback: new S3FeedbackImages({ client: s3, bucket: config.IMAGE_BUCKET }), allowedOrigins: config.ALLOWED_ORIGINS, logger };
}

/** The review function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireReviewInspection(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createReviewInspectionDependencies(readReviewInspectionConfig(env), observability.logger);
  return withObservability(
    createReviewInspectionHandler(() => dependencies),
    observability,
  );
}
