import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, ScanCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseStoredStation, type Station, type StationModel } from '../../core/station-registry';
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

/** How many models a station's history keeps (newest first); older ones drop off. */
export const MODEL_HISTORY_LIMIT = 20;

/**
 * A model a station used before (the item's `modelHistory`, newest first, beside `definition`): what `npm run
 * model:rollback` puts back. An import that changes a station's model adds the replaced one too.
 */
export interface StationModelHistoryEntry {
  /** The model; absent when the station used the stage's default (it named none). */
  model?: StationModel;
  /** When it stopped being the station's model. */
  replacedAt: string;
}

/** One station as stored, with what a model change needs: the version to write on and the model history. */
export interface StationEntry {
  station: Station;
  version: number;
  updatedAt: string;
  history: StationModelHistoryEntry[];
}

/** What a model change did. */
export interface StationModelChange {
  stationId: string;
  /** The model the station uses now (undefined: the stage's default). */
  model?: StationModel;
  /** The model it used before (undefined: the stage's default). */
  previous?: StationModel;
  version: number;
  history: StationModelHistoryEntry[];
}

/** A model change that cannot be made: the station is unknown or invalid, has nothing to roll back to, or changed meanwhile. */
export class StationModelChangeError extends Error {
  override name = 'StationModelChangeError';
  constructor(
    readonly reason: 'unknown-station' | 'invalid-station' | 'no-previous-model' | 'changed-meanwhile',
    message: string,
  ) {
    super(message);
  }
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
      // The model history is kept; an import that changes the model adds the one it replaces, so it can be rolled back to.
      const history = current ? historyOf(current.modelHistory) : [];
      const previousModel = (current?.definition as { model?: StationModel } | undefined)?.model;
      const modelHistory =
        current && canonicalJson(previousModel ?? null) !== canonicalJson(station.model ?? null)
          ? [{ ...(previousModel !== undefined ? { model: previousModel } : {}), replacedAt: updatedAt }, ...history].slice(0, MODEL_HISTORY_LIMIT)
          : history;
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { stationId: station.id, definition: station, version, updatedAt, ...(modelHistory.length > 0 ? { modelHistory } : {}) },
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

  /** One station as stored, read consistently (never from the cache), with its version and model history. */
  async readStationEntry(stationId: string): Promise<StationEntry | undefined> {
    const item = await this.readItem(stationId);
    if (!item) return undefined;
    return {
      station: this.stationOf(item),
      version: Number(item.version ?? 1),
      updatedAt: typeof item.updatedAt === 'string' ? item.updatedAt : '',
      history: this.checkedHistory(item),
    };
  }

  /**
   * Point a station at `model`, keeping the model it used (or that it used the default) at the head of its history.
   * A conditional write on the version read (or `expectedVersion`, the one the caller evaluated against), so a change
   * made meanwhile by an import or another publish is refused rather than overwritten.
   */
  async setStationModel(stationId: string, model: StationModel, options: { expectedVersion?: number } = {}): Promise<StationModelChange> {
    const item = await this.readItem(stationId);
    if (!item) throw unknownStation(stationId);
    const station = this.stationOf(item);
    const seen = Number(item.version ?? 1);
    if (options.expectedVersion !== undefined && options.expectedVersion !== seen) throw changedMeanwhile(stationId);
    // Checked by the import's own rules, so the registry never holds a station the functions would refuse.
    const definition = this.checkedDefinition(item, model);
    const history = [{ ...(station.model !== undefined ? { model: station.model } : {}), replacedAt: this.nowIso() }, ...this.checkedHistory(item)].slice(
      0,
      MODEL_HISTORY_LIMIT,
    );
    await this.writeModelChange(stationId, definition, seen, history);
    return { stationId, model, ...(station.model !== undefined ? { previous: station.model } : {}), version: seen + 1, history };
  }

  /** Put back the model a station used before its current one (the head of its history), and drop it from the history. */
  async rollBackStationModel(stationId: string, options: { expectedVersion?: number } = {}): Promise<StationModelChange> {
    const item = await this.readItem(stationId);
    if (!item) throw unknownStation(stationId);
    const station = this.stationOf(item);
    const seen = Number(item.version ?? 1);
    if (options.expectedVersion !== undefined && options.expectedVersion !== seen) throw changedMeanwhile(stationId);
    const [head, ...rest] = this.checkedHistory(item);
    if (!head)
      throw new StationModelChangeError('no-previous-model', `Station ${stationId} has no earlier model to roll back to (its model history is empty).`);
    const definition = this.checkedDefinition(item, head.model);
    await this.writeModelChange(stationId, definition, seen, rest);
    return {
      stationId,
      ...(head.model !== undefined ? { model: head.model } : {}),
      ...(station.model !== undefined ? { previous: station.model } : {}),
      version: seen + 1,
      history: rest,
    };
  }

  private async readItem(stationId: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: { stationId }, ConsistentRead: true }));
    return result.Item;
  }

  private stationOf(item: Record<string, unknown>): Station {
    try {
      return parseStoredStation(item.definition, this.options.allowedPrefixes);
    } catch (error) {
      throw new StationModelChangeError(
        'invalid-station',
        `Station ${String(item.stationId)} as stored is not valid (${error instanceof Error ? error.message : String(error)}); fix it with npm run stations:import first.`,
      );
    }
  }

  /** The stored definition with `model` in place of its own (none: the default), checked like an import. */
  private checkedDefinition(item: Record<string, unknown>, model: StationModel | undefined): Station {
    const { model: _old, ...rest } = item.definition as Record<string, unknown>;
    const candidate = model === undefined ? rest : { ...rest, model };
    try {
      parseStoredStation(candidate, this.options.allowedPrefixes);
    } catch (error) {
      throw new StationModelChangeError(
        'invalid-station',
        `Station ${String(item.stationId)} cannot use that model: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // Stored as given (as an import stores a parsed station): the definition keeps its own fields.
    return candidate as unknown as Station;
  }

  /** The item's history, each entry's model checked as an import would (an entry edited into nonsense is dropped). */
  private checkedHistory(item: Record<string, unknown>): StationModelHistoryEntry[] {
    return historyOf(item.modelHistory).filter((entry) => {
      if (entry.model === undefined) return true;
      try {
        this.checkedDefinition(item, entry.model);
        return true;
      } catch {
        return false;
      }
    });
  }

  private async writeModelChange(stationId: string, definition: Station, seen: number, history: StationModelHistoryEntry[]): Promise<void> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: { stationId, definition, version: seen + 1, updatedAt: this.nowIso(), ...(history.length > 0 ? { modelHistory: history } : {}) },
          ConditionExpression: 'version = :seen',
          ExpressionAttributeValues: { ':seen': seen },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw changedMeanwhile(stationId);
      throw error;
    }
    this.cache.delete(stationId);
  }

  private nowIso(): string {
    return new Date(this.now()).toISOString();
  }
}

function unknownStation(stationId: string): StationModelChangeError {
  return new StationModelChangeError(
    'unknown-station',
    `Unknown station "${stationId}": it is not in the station registry (import it with npm run stations:import).`,
  );
}

function changedMeanwhile(stationId: string): StationModelChangeError {
  return new StationModelChangeError(
    'changed-meanwhile',
    `Station ${stationId} changed in the registry meanwhile (an import or another publish); nothing was written. Run the command again.`,
  );
}

/** The stored history as entries (anything malformed left out). */
function historyOf(value: unknown): StationModelHistoryEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { model, replacedAt } = entry as { model?: unknown; replacedAt?: unknown };
    if (model !== undefined && typeof model !== 'string' && (typeof model !== 'object' || model === null)) return [];
    return [{ ...(model !== undefined ? { model: model as StationModel } : {}), replacedAt: typeof replacedAt === 'string' ? replacedAt : '' }];
  });
}

/** JSON with object keys in sorted order, so two equal stations compare equal whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
