import { importStations } from '../deploy/import-stations';
import type { StationImportResult } from '../functions/adapters/dynamodb/dynamodb-station-registry';

export interface SeedStationRegistryOptions {
  /** The registry file (STATIONS_FILE); relative paths resolve from the working directory. */
  file: string;
  /** The local DynamoDB (dynalite) endpoint and the registry table in it. */
  endpoint: string;
  tableName: string;
  /** OPERATOR_COUNTRY_PREFIXES of the stack. */
  allowedPrefixes: readonly string[];
}

/**
 * Seed the local stack's station registry from STATIONS_FILE through the same import as `npm run stations:import`
 * (the file replaces what the table held, so the registry is exactly the file). Throws StationRegistryError naming
 * every problem of a file that cannot be imported, so `npm start` refuses to start on it.
 */
export async function seedStationRegistry(options: SeedStationRegistryOptions): Promise<StationImportResult> {
  return importStations({
    file: options.file,
    tableName: options.tableName,
    region: 'us-east-1',
    endpoint: options.endpoint,
    allowedPrefixes: options.allowedPrefixes,
    replace: true,
  });
}
