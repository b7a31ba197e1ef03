import { BatchWriteCommand, GetCommand, PutCommand, ScanCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseStoredStation, type Station } from '../../core/station-registry';
import type { StationRegistry } from '../../core/ports/station-registry';

/**
 * The station registry on its own DynamoDB table: partition key `stationId`, one item per station holding the
 * station as imported (`definition`, a map), a `version` counted up by every import that changes it, and `updatedAt`.
 * Stations are read back through the same rules as an import (parseStoredStation), so a hand edit in the console
 * that breaks one (a number outside the allowed prefixes) makes that station unknown rather than callable.
 */
export interface DynamoDbStationRegistryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** OPERATOR_COUNTRY_PREFIXES: the toll-fraud guard applied to every number read back. */
  allowedPrefixes: readonly string[];
  /** How long a station read stays cached in this container; 0 reads every time. */
  cacheSeconds?: number;
  now?: () => number;
}

/** What an import did. */
export interface StationImportResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

/** DynamoDB adapter of the station registry, with the import the `stations:import` command and the local stack use. */
export class DynamoDbStationRegistry implements StationRegistry {
  private readonly cache = new Map<string, { station: Station | undefined; until: number }>();
  private readonly now: () => number;

  constructor(private readonly options: DynamoDbStationRegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** One station, from the cache when fresh; undefined when unknown or no longer valid. */
  async getStation(stationId: string): Promise<Station | undefined> {
    const cached = this.cache.get(stationId);
    if (cached && cached.until > this.now()) return cached.station;
    const result = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: { stationId } }));
    let station: Station | undefined;
    try {
      station = result.Item?.definition ? parseStoredStation(result.Item.definition, this.options.allowedPrefixes) : undefined;
    } catch {
      station = undefined;
    }
    const cacheSeconds = this.options.cacheSeconds ?? 15;
    if (cacheSeconds > 0) this.cache.set(stationId, { station, until: this.now() + cacheSeconds * 1000 });
    return station;
  }

  /** Every station in the table (a scan; the registry is small). */
  async listStations(): Promise<Array<Station & { version: number; updatedAt: string }>> {
    const stations: Array<Station & { version: number; updatedAt: string }> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(new ScanCommand({ TableName: this.options.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        try {
          stations.push({
            ...parseStoredStation(item.definition, this.options.allowedPrefixes),
            version: Number(item.version ?? 1),
            updatedAt: String(item.updatedAt ?? ''),
          });
        } catch {
          // Listed by import as removable; never served.
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return stations.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Write parsed stations: new ones at version 1, changed ones at their version + 1 (a conditional write on the version
   * read, so two imports at once cannot silently overwrite each other), unchanged ones left alone. With `replace`,
   * stations missing from the file are deleted.
   */
  async importStations(stations: readonly Station[], options: { replace?: boolean } = {}): Promise<StationImportResult> {
    const result: StationImportResult = { created: [], updated: [], unchanged: [], removed: [] };
    const existing = new Map<string, Record<string, unknown>>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.options.client.send(new ScanCommand({ TableName: this.options.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) existing.set(String(item.stationId), item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const updatedAt = new Date(this.now()).toISOString();
    for (const station of stations) {
      const current = existing.get(station.id);
      // Canonical JSON: DynamoDB does not promise to keep a map's key order.
      if (current && canonicalJson(current.definition) === canonicalJson(station)) {
        result.unchanged.push(station.id);
        continue;
      }
      const version = current ? Number(current.version ?? 1) + 1 : 1;
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { stationId: station.id, definition: station, version, updatedAt },
          ConditionExpression: current ? 'version = :seen' : 'attribute_not_exists(stationId)',
          ...(current ? { ExpressionAttributeValues: { ':seen': Number(current.version ?? 1) } } : {}),
        }),
      );
      (current ? result.updated : result.created).push(station.id);
    }
    if (options.replace) {
      const keep = new Set(stations.map((station) => station.id));
      const gone = [...existing.keys()].filter((id) => !keep.has(id));
      for (let index = 0; index < gone.length; index += 25) {
        const batch = gone.slice(index, index + 25);
        let requests: BatchWriteCommandInput['RequestItems'] = {
          [this.options.tableName]: batch.map((stationId) => ({ DeleteRequest: { Key: { stationId } } })),
        };
        // A throttled batch hands back what it did not write; try those again rather than report them removed.
        for (let round = 0; requests && Object.keys(requests).length > 0; round += 1) {
          if (round === 5) throw new Error(`Deleting stations from ${this.options.tableName} kept being throttled; nothing was reported removed that was not`);
          if (round > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round));
          requests = (await this.options.client.send(new BatchWriteCommand({ RequestItems: requests }))).UnprocessedItems;
        }
      }
      result.removed.push(...gone);
    }
    this.cache.clear();
    return result;
  }
}

/** JSON with object keys in sorted order, so two equal stations compare equal whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
