import type { Logger } from '@aws-lambda-powertools/logger';
import { createListStationsHandler, type ListStationsRouteDependencies } from '../adapters/http/list-stations-route';
import { createLogger } from '../adapters/observability/logger';
import { getObservability, withObservability } from '../adapters/observability/observability';
import { apiConfig } from '../config/api';
import { parseEnvironment, type ConfigOfAll } from '../config/environment';
import { regionConfig } from '../config/region';
import { stationRegistryConfig } from '../config/station-registry';
import { createStationRegistry } from './shared/station-registry';

/** What GET /stations reads of its environment: the registry table (if any) and the CORS origins. */
export const LIST_STATIONS_CONFIG = [regionConfig, stationRegistryConfig, apiConfig] as const;

export type ListStationsConfig = ConfigOfAll<typeof LIST_STATIONS_CONFIG>;

/** Parse the list-stations function's environment; throws ConfigurationError naming each bad variable. */
export function readListStationsConfig(env: Record<string, string | undefined> = process.env): ListStationsConfig {
  return parseEnvironment(LIST_STATIONS_CONFIG, env);
}

/** The registry (when the installation has one) and the route's context. */
export function createListStationsDependencies(config: ListStationsConfig, logger: Logger = createLogger()): ListStationsRouteDependencies {
  const registry = createStationRegistry(config);
  return { ...(registry ? { stations: registry } : {}), allowedOrigins: config.ALLOWED_ORIGINS, logger };
}

/** The list-stations function's Lambda handler, built once per container: bad configuration fails the cold start by name. */
export function wireListStations(env: Record<string, string | undefined> = process.env) {
  const observability = getObservability();
  const dependencies = createListStationsDependencies(readListStationsConfig(env), observability.logger);
  return withObservability(
    createListStationsHandler(() => dependencies),
    observability,
  );
}
