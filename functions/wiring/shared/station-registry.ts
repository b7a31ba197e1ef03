import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../adapters/aws-clients';
import { toDocumentClient } from '../../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry } from '../../adapters/dynamodb/dynamodb-station-registry';
import { traced } from '../../adapters/observability/observability';
import type { ConfigOf } from '../../config/environment';
import type { regionConfig } from '../../config/region';
import type { stationRegistryConfig } from '../../config/station-registry';
import type { StationLookup } from '../../core/ports/station-registry';

/** The configuration the station registry is built from. */
export type StationRegistryConfig = ConfigOf<typeof regionConfig> & ConfigOf<typeof stationRegistryConfig>;

/**
 * The station registry STATION_REGISTRY_TABLE names (sharing a DynamoDB client when given one), or undefined when it
 * names none.
 */
export function createStationRegistry(config: StationRegistryConfig, client?: DynamoDBClient): DynamoDbStationRegistry | undefined {
  if (!config.STATION_REGISTRY_TABLE) return undefined;
  const dynamoDb = client ?? traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  return new DynamoDbStationRegistry({
    client: toDocumentClient(dynamoDb),
    tableName: config.STATION_REGISTRY_TABLE,
    allowedPrefixes: config.OPERATOR_COUNTRY_PREFIXES,
    cacheSeconds: config.STATION_REGISTRY_CACHE_SECONDS,
  });
}

/**
 * How an upload's station is checked: the registry's lookup (an unknown station is refused), or undefined without a
 * registry (any station id is accepted).
 */
export function uploadStationCheck(config: StationRegistryConfig, client?: DynamoDBClient): StationLookup | undefined {
  const registry = createStationRegistry(config, client);
  return registry ? (stationId) => registry.getStation(stationId) : undefined;
}
