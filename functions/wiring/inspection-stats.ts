import type { Logger } from '@aws-lambda-powertools/logger';
import { createInspectionStatsHandler, type InspectionStatsRouteDependencies } from '../adapters/http/inspection-stats-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What GET /stats reads of its environment: the bucket and the CORS origins. */
export const INSPECTION_STATS_CONFIG = [regionConfig, imageBucketConfig, apiConfig] as const;

export type InspectionStatsConfig = ConfigOfAll<typeof INSPECTION_STATS_CONFIG>;

/** Parse the inspection-stats function's environment; throws ConfigurationError naming each bad variable. */
export function readInspectionStatsConfig(env: Record<string, string | undefined> = process.env): InspectionStatsConfig {
  return parseEnvironment(INSPECTION_STATS_CONFIG, env);
}

/** The inspection history (the S3 inspection store) and the route's context. */
export function createInspectionStatsDependencies(config: InspectionStatsConfig, logger: Logger = createLogger()): InspectionStatsRouteDependencies {
  return { history: createInspectionStore(config).store, allowedOrigins: config.ALLOWED_ORIGINS, logger };
}

/** The inspection-stats function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireInspectionStats(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createInspectionStatsDependencies(readInspectionStatsConfig(env), observability.logger);
  return withObservability(
    createInspectionStatsHandler(() => dependencies),
    observability,
  );
}
