import type { Logger } from '@aws-lambda-powertools/logger';
import { createInspectImageHandler, type InspectImageRouteDependencies } from '../adapters/http/inspect-image-route';
import { createLogger } from '../adapters/observability/logger';
import { createRequestObserver, getObservability, withObservability, type Observability } from '../adapters/observability/observability';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { imageLimitsConfig } from '../config/image-limits';
import { regionConfig } from '../config/region';
import { createInspectionPipeline, INSPECTION_PIPELINE_FRAGMENTS, type InspectionPipeline } from './shared/inspection-pipeline';

/** What the inspect function (POST /inspections) reads of its environment. */
export const INSPECT_IMAGE_CONFIG = [regionConfig, imageBucketConfig, apiConfig, imageLimitsConfig, ...INSPECTION_PIPELINE_FRAGMENTS] as const;

export type InspectImageConfig = ConfigOfAll<typeof INSPECT_IMAGE_CONFIG>;

/** Parse the inspect function's environment; throws ConfigurationError naming each bad variable. */
export function readInspectImageConfig(env: Record<string, string | undefined> = process.env): InspectImageConfig {
  return parseEnvironment(INSPECT_IMAGE_CONFIG, env);
}

/** Everything the inspect function uses: the inspection pipeline within the API's image limits, and the route's context. */
export type InspectImageDependencies = InspectionPipeline & Omit<InspectImageRouteDependencies, 'observer'> & { config: InspectImageConfig; logger: Logger };

/** Build the inspect function's adapters from its configuration (tests pass their own configuration and logger). */
export function createInspectImageDependencies(
  config: InspectImageConfig,
  logger: Logger = createLogger(),
  observability?: Observability,
): InspectImageDependencies {
  const limits = { maxBytes: config.MAX_IMAGE_BYTES, minSide: config.MIN_IMAGE_SIDE, maxSide: config.MAX_IMAGE_SIDE };
  return { config, logger, allowedOrigins: config.ALLOWED_ORIGINS, ...createInspectionPipeline(config, limits, logger, observability) };
}

/**
 * The inspect function's Lambda handler, built once per container during the init phase: bad configuration fails the
 * cold start by name, and the embedded model starts loading with the init CPU burst instead of on the first wafer.
 */
export function wireInspectImage(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createInspectImageDependencies(readInspectImageConfig(env), observability.logger, observability);
  dependencies.detector().catch(() => undefined); // logged inside; the first request retries the load
  const observer = createRequestObserver(observability);
  return withObservability(
    createInspectImageHandler(() => ({ ...dependencies, observer })),
    observability,
  );
}
