import type { Logger } from '@aws-lambda-powertools/logger';
import { createListInspectionsHandler, type ListInspectionsRouteDependencies } from '../adapters/http/list-inspections-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { imageBucketConfig } from '../config/image-bucket';
import { regionConfig } from '../config/region';
import { createInspectionStore } from './shared/inspection-store';

/** What GET /inspections reads of its environment: the bucket and the CORS origins. */
export const LIST_INSPECTIONS_CONFIG = [regionConfig, imageBucketConfig, apiConfig] as const;

export type ListInspectionsConfig = ConfigOfAll<typeof LIST_INSPECTIONS_CONFIG>;

/** Parse the list-inspections function's environment; throws ConfigurationError naming each bad variable. */
export function readListInspectionsConfig(env: Record<string, string | undefined> = process.env): ListInspectionsConfig {
  return parseEnvironment(LIST_INSPECTIONS_CONFIG, env);
}

/** The inspection store and the route's context. */
export function createListInspectionsDependencies(config: ListInspectionsConfig, logger: Logger = createLogger()): ListInspectionsRouteDependencies {
  return { store: createInspectionStore(config).store, allowedOrigins: config.ALLOWED_ORIGINS, logger };
}

/** The list-inspections function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireListInspections(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createListInspectionsDependencies(readListInspectionsConfig(env), observability.logger);
  return withObservability(
    createListInspectionsHandler(() => dependencies),
    observability,
  );
}
