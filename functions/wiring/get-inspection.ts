import type { Logger } from '@aws-lambda-powertools/logger';
import { createGetInspectionHandler, type GetInspectionRouteDependencies } from '../adapters/http/get-inspection-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { S3CameraUploadStore } from '../adapters/s3/s3-camera-upload-store';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What GET /inspections/{id} reads of its environment: the bucket and the CORS origins (no Connect, no queues, no numbers). */
export const GET_INSPECTION_CONFIG = [regionConfig, imageBucketConfig, apiConfig] as const;

export type GetInspectionConfig = ConfigOfAll<typeof GET_INSPECTION_CONFIG>;

/** Parse the get-inspection function's environment; throws ConfigurationError naming each bad variable. */
export function readGetInspectionConfig(env: Record<string, string | undefined> = process.env): GetInspectionConfig {
  return parseEnvironment(GET_INSPECTION_CONFIG, env);
}

/** The inspection store, and the camera upload store that says what became of an upload not yet inspected. */
export function createGetInspectionDependencies(config: GetInspectionConfig, logger: Logger = createLogger()): GetInspectionRouteDependencies {
  const { s3, store } = createInspectionStore(config);
  return {
    store,
    uploads: new S3CameraUploadStore({ client: s3, bucket: config.IMAGE_BUCKET, endpoint: config.S3_ENDPOINT }),
    allowedOrigins: config.ALLOWED_ORIGINS,
    logger,
  };
}

/** The get-inspection function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireGetInspection(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createGetInspectionDependencies(readGetInspectionConfig(env), observability.logger);
  return withObservability(
    createGetInspectionHandler(() => dependencies),
    observability,
  );
}
