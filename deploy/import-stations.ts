// `npm run stations:import -- --file stations.json [--replace] [--dry-run] [--table NAME | --stage prod] [--region eu-west-1]`:
// check a station registry file (every station, every number inside OPERATOR_COUNTRY_PREFIXES) and write it to the
// registry table, so ladders change without a deploy. Uses the deployer's usual AWS credentials; --endpoint points it
// at a local DynamoDB (the local stack seeds its own registry from STATIONS_FILE through the same code).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readStackOutputs, stackNameOf } from './stack-outputs';
import { createDynamoDbClient } from '../functions/adapters/aws-clients';
import { toDocumentClient } from '../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry, type StationImportResult } from '../functions/adapters/dynamodb/dynamodb-station-registry';
import { parseStationRegistry, StationRegistryError, type Station } from '../functions/core/station-registry';

/** OPERATOR_COUNTRY_PREFIXES as the functions read it: comma-separated, blanks dropped; the functions' default when unset. */
export function allowedPrefixesFrom(value: string | undefined): string[] {
  const prefixes = (value ?? '+1,+44')
    .split(',')
    .map((prefix) => prefix.trim())
    .filter((prefix) => prefix.length > 0);
  if (prefixes.length === 0) throw new Error('OPERATOR_COUNTRY_PREFIXES must list at least one prefix such as +44');
  return prefixes;
}

/** Read and check a registry file; throws StationRegistryError naming every problem (nothing is written then). */
export async function readStationRegistryFile(file: string, allowedPrefixes: readonly string[]): Promise<Station[]> {
  const text = await readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StationRegistryError([`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parseStationRegistry(value, allowedPrefixes);
}

export interface ImportStationsOptions {
  file: string;
  tableName: string;
  region: string;
  /** A local DynamoDB (dynalite); unset in AWS. */
  endpoint?: string;
  allowedPrefixes: readonly string[];
  /** Delete stations that are not in the file. */
  replace?: boolean;
}

/** Check the file, then write it to the registry table; resolves with what changed. */
export async function importStations(options: ImportStationsOptions): Promise<StationImportResult> {
  const stations = await readStationRegistryFile(options.file, options.allowedPrefixes);
  const client = createDynamoDbClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
  try {
    const registry = new DynamoDbStationRegistry({
      client: toDocumentClient(client),
      tableName: options.tableName,
      allowedPrefixes: options.allowedPrefixes,
      cacheSeconds: 0,
    });
    return await registry.importStations(stations, { replace: options.replace ?? false });
  } finally {
    client.destroy();
  }
}

/** The registry table of a deployed stage (the stack's StationRegistryTableName output). */
async function tableOfStage(stage: string, region: string): Promise<string> {
  const stackName = stackNameOf(stage);
  const cloudFormation = new CloudFormationClient({ region });
  try {
    const output = (await readStackOutputs(cloudFormation, stackName)).get('StationRegistryTableName');
    if (!output) throw new Error(`Stack ${stackName} has no StationRegistryTableName output; deploy the stack first.`);
    return output;
  } finally {
    cloudFormation.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      table: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      replace: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (!values.file)
    throw new Error(
      'Usage: npm run stations:import -- --file stations.json [--replace] [--dry-run] [--table NAME | --stage STAGE] [--region REGION] [--endpoint URL]',
    );
  const file = path.resolve(values.file);
  const allowedPrefixes = allowedPrefixesFrom(process.env.OPERATOR_COUNTRY_PREFIXES);
  const stations = await readStationRegistryFile(file, allowedPrefixes);
  if (values['dry-run']) {
    console.log(`${file}: ${stations.length} station(s) valid (${stations.map((station) => station.id).join(', ')}); nothing written (--dry-run).`);
    return;
  }
  const region = values.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const tableName = values.table ?? process.env.STATION_REGISTRY_TABLE ?? (values.stage ? await tableOfStage(values.stage, region) : undefined);
  if (!tableName) throw new Error('Name the registry table: --table NAME, --stage STAGE (reads the stack output) or STATION_REGISTRY_TABLE.');
  const result = await importStations({
    file,
    tableName,
    region,
    allowedPrefixes,
    replace: values.replace,
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  });
  console.log(
    `Imported ${file} into ${tableName}: created ${result.created.length}, updated ${result.updated.length}, unchanged ${result.unchanged.length}, removed ${result.removed.length}.`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((error: unknown) => {
    if (error instanceof StationRegistryError) {
      console.error('The station registry file was not imported:');
      for (const problem of error.problems) console.error(`  - ${problem}`);
    } else {
      console.error(error instanceof Error ? error.message : String(error));
    }
    process.exitCode = 1;
  });
}
