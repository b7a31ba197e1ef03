import type { Logger } from '@aws-lambda-powertools/logger';
import { createGetInspectionImageHandler, type GetInspectionImageRouteDependencies } from '../adapters/http/get-inspection-image-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What GET /inspections/{id}/image reads of its environment: the bucket and the CORS origins (no Connect, no queues, no numbers). */
export const GET_INSPECTION_IMAGE_CONFIG = [regionConfig, imageBucketConfig, apiConfig] as const;

export type GetInspectionImageConfig = ConfigOfAll<typeof GET_INSPECTION_IMAGE_CONFIG>;

/** Parse the get-inspection-image function's environment; throws ConfigurationError naming each bad variable. */
export function readGetInspectionImageConfig(env: Record<string, string | undefined> = process.env): GetInspectionImageConfig {
  return parseEnvironment(GET_INSPECTION_IMAGE_CONFIG, env);
}

/** The inspection store: the record names the image, the image bucket holds it. */
export function createGetInspectionImageDependencies(config: GetInspectionImageConfig, logger: Logger = createLogger()): GetInspectionImageRouteDependencies {
  const { store } = createInspectionStore(config);
  return { store, allowedOrigins: config.ALLOWED_ORIGINS, logger };
}

/** The get-inspection-image function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireGetInspectionImage(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createGetInspectionImageDependencies(readGetInspectionImageConfig(env), observability.logger);
  return withObservability(
    createGetInspectionImageHandler(() => dependencies),
    observability,
  );
}
