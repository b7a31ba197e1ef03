import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../adapters/aws-clients';
import { toDocumentClient } from '../../adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry } from '../../adapters/dynamodb/dynamodb-station-registry';
import type { Config } from '../../config/environment';
import type { StationLookup } from '../../core/ports/station-registry';
import { defaultStation } from '../../core/station-registry';
import { traced } from '../../adapters/observability/observability';

/** The station registry of a configuration, when it names one, and how each function looks a station up. */
export interface StationDependencies {
  registry: DynamoDbStationRegistry | undefined;
  /**
   * The station an alert rings: the registry's entry (undefined for an unknown id), or, without a registry, the one
   * default station whose ladder is OPERATOR_PHONE_NUMBER.
   */
  lookup: StationLookup;
  /** For the inspection pipeline: the registry's lookup, or undefined (no registry: any station id is accepted). */
  uploadCheck: StationLookup | undefined;
}

/** Build the station registry adapter STATION_REGISTRY_TABLE names (sharing a DynamoDB client when given one). */
export function createStationDependencies(config: Config, client?: DynamoDBClient): StationDependencies {
  if (!config.STATION_REGISTRY_TABLE) {
    const station = defaultStation(config.OPERATOR_PHONE_NUMBER);
    return { registry: undefined, lookup: async () => station, uploadCheck: undefined };
  }
  const dynamoDb = client ?? traced(createDynamoDbClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }));
  const registry = new DynamoDbStationRegistry({
    client: toDocumentClient(dynamoDb),
    tableName: config.STATION_REGISTRY_TABLE,
    allowedPrefixes: config.OPERATOR_COUNTRY_PREFIXES,
    cacheSeconds: config.STATION_REGISTRY_CACHE_SECONDS,
  });
  const lookup: StationLookup = (stationId) => registry.getStation(stationId);
  return { registry, lookup, uploadCheck: lookup };
}
