import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeTime, encodeTime } from 'ulid';
import { MalformedRequestError } from '../../core/errors';
import type { InspectionRecord, InspectionStatus } from '../../core/inspection';
import { dayPrefix, isInspectionId, recordKey } from '../../core/inspection-keys';
import { matchesInspectionFilter, type InspectionFilter } from '../../core/inspection-query';
import type { InspectionHistory, InspectionPage, InspectionPageQuery } from '../../core/ports/inspection-history';
import type { InspectionStore } from '../../core/ports/inspection-store';
import type { ValidatedWaferImage } from '../../core/wafer-image';

/** How far back `listRecentRecords` looks for records, in UTC days (today included). */
export const DEFAULT_LIST_DAYS_BACK = 31;
/** At most this many record GETs in flight at once, so a large `limit` cannot open hundreds of sockets. */
const RECORD_FETCH_CONCURRENCY = 16;
/** A status-filtered listing reads records in batches of this many... */
const FILTERED_READ_BATCH = 50;
/** ...and never more than this many in all. */
export const MAX_RECORDS_SCANNED = 1000;
const RECORD_KEY_PATTERN = /\/([0-9A-HJKMNP-TV-Z]{26})\.json$/;
/** `pageRecords` reads at most this many records for one page, matching or not; then it answers with a cursor. */
export const MAX_RECORD_READS_PER_PAGE = 250;
/** ...and makes at most this many ListObjectsV2 requests (a long run of empty days costs one each at least). */
export const MAX_LIST_REQUESTS_PER_PAGE = 40;
/** The first time slice `pageRecords` lists; it doubles over sparse slices and halves over dense ones. */
const FIRST_SLICE_MS = 60 * 60 * 1000;
const MIN_SLICE_MS = 60 * 1000;
const MAX_SLICE_MS = 24 * 60 * 60 * 1000;
/**
 * How much earlier than its createdAt an inspection's id may have been minted: a camera upload's id is minted when its
 * upload is granted, and it is inspected when the object arrives (minutes later, more after retries). A `fromMs`
 * listing scans ids back to this much before it, and filters on createdAt itself.
 */
export const ID_BEFORE_CREATED_SLACK_MS = 60 * 60 * 1000;
/** Read-modify-write rounds `updateRecord` tries before giving up when other writers keep getting in first. */
export const DEFAULT_UPDATE_ATTEMPTS = 10;
/**
 * After a lost round `updateRecord` waits a random time up to a ceiling: the lost round's own duration (at least
 * UPDATE_BACKOFF_BASE_MS), doubled each further round, never above MAX_UPDATE_BACKOFF_MS. Scaling by the round's
 * duration spreads the writers over about as many round-lengths as there are writers, whatever S3's latency is and
 * however loaded it is: on the emulator, 20 writers on one record needed at most 8 rounds in 200 trials (6 typically).
 */
const UPDATE_BACKOFF_BASE_MS = 10;
export const MAX_UPDATE_BACKOFF_MS = 1000;

export interface S3InspectionStoreOptions {
  client: S3Client;
  bucket: string;
  /** UTC days `listRecentRecords` walks back from today; defaults to DEFAULT_LIST_DAYS_BACK. */
  listDaysBack?: number;
  /** Injectable clock so tests can pin "today". */
  now?: () => Date;
  /**
   * Keys per ListObjectsV2 page (S3's default, 1,000, when unset). Note s3rver cannot answer a truncated
   * listing on Node ≥ 17 (it mints continuation tokens with DES, gone from OpenSSL 3), so paging is unit-tested.
   */
  listPageSize?: number;
  /** Rounds `updateRecord` tries before it throws; defaults to DEFAULT_UPDATE_ATTEMPTS. */
  updateAttempts?: number;
  /** Waits between lost `updateRecord` rounds; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * InspectionStore over one S3 bucket: images, anomaly masks and JSON records side by side
 * under the server-chosen keys of functions/core/inspection-keys.ts.
 */
export class S3InspectionStore implements InspectionStore, InspectionHistory {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly listDaysBack: number;
  private readonly now: () => Date;
  private readonly listPageSize: number | undefined;
  private readonly updateAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: S3InspectionStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.listDaysBack = options.listDaysBack ?? DEFAULT_LIST_DAYS_BACK;
    this.now = options.now ?? (() => new Date());
    this.listPageSize = options.listPageSize;
    this.updateAttempts = Math.max(1, options.updateAttempts ?? DEFAULT_UPDATE_ATTEMPTS);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Write the image with its content type and provenance (sha256, size, dimensions, source, station, inspection) as user metadata. */
  async putImage(key: string, image: ValidatedWaferImage, metadata: { inspectionId: string; stationId: string; source: string }): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: image.bytes,
        ContentType: image.contentType,
        ContentLength: image.sizeBytes,
        // The validator already hashed the bytes; handing S3 that hash makes it reject a PUT whose
        // body was altered in transit, at no extra cost (S3 also keeps it as the object's checksum).
        ChecksumSHA256: Buffer.from(image.sha256, 'hex').toString('base64'),
        Metadata: {
          sha256: image.sha256,
          size: String(image.sizeBytes),
          width: String(image.width),
          height: String(image.height),
          source: headerSafe(metadata.source),
          'station-id': headerSafe(metadata.stationId),
          'inspection-id': headerSafe(metadata.inspectionId),
        },
      }),
    );
  }

  /** Write an anomaly mask PNG. */
  async putMask(key: string, png: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: png, ContentType: 'image/png', ContentLength: png.byteLength }));
  }

  /** Create or replace the JSON record beside the image. */
  async putRecord(record: InspectionRecord): Promise<void> {
    if (!isInspectionId(record.inspectionId)) {
      throw new Error('Refusing to store a record whose inspectionId is not a ULID');
    }
    await this.writeRecord(record, {});
  }

  /**
   * Read-modify-write the record with S3 conditional writes: the PUT carries the ETag the GET returned (IfMatch), or
   * IfNoneMatch '*' when there was no record, so S3 refuses it (412, or 409 while another conditional write is in
   * flight) if anyone wrote in between; then it reads the newer record and asks `change` again, after a short
   * jittered pause so writers that collided do not collide again in lockstep. Throws after `updateAttempts` lost rounds.
   */
  async updateRecord(
    inspectionId: string,
    change: (current: InspectionRecord | undefined) => InspectionRecord | undefined,
  ): Promise<InspectionRecord | undefined> {
    if (!isInspectionId(inspectionId)) {
      throw new Error('Refusing to update a record whose inspectionId is not a ULID');
    }
    const key = recordKey(inspectionId);
    let lastConflict: unknown;
    let lostRoundMs = 0;
    for (let attempt = 1; attempt <= this.updateAttempts; attempt += 1) {
      if (attempt > 1) {
        const ceiling = Math.min(MAX_UPDATE_BACKOFF_MS, Math.max(UPDATE_BACKOFF_BASE_MS, lostRoundMs) * 2 ** (attempt - 2));
        await this.sleep(Math.round(Math.random() * ceiling));
      }
      const roundStarted = Date.now();
      const current = await this.readRecordVersion(key);
      const next = change(current?.record);
      if (next === undefined) return current?.record;
      if (next.inspectionId !== inspectionId) {
        // The key is built from `inspectionId`; a record naming another id there would be found under the wrong id.
        throw new Error(`updateRecord(${inspectionId}): the change returned a record for ${next.inspectionId}`);
      }
      try {
        await this.writeRecord(next, current ? { IfMatch: current.etag } : { IfNoneMatch: '*' });
        return next;
      } catch (error) {
        // 404 too: If-Match on a record deleted since the read; reading again sees it gone.
        if (!isWriteConflict(error) && !isNotFound(error)) throw error;
        lastConflict = error;
        lostRoundMs = Date.now() - roundStarted;
      }
    }
    throw new Error(`Could not update inspection record ${inspectionId}: other writers changed it during each of ${this.updateAttempts} attempts`, {
      cause: lastConflict,
    });
  }

  /** The record, or undefined when the id is not a ULID (no key is built from unchecked input) or nothing is stored. */
  async getRecord(inspectionId: string): Promise<InspectionRecord | undefined> {
    if (!isInspectionId(inspectionId)) return undefined;
    const bytes = await this.read(recordKey(inspectionId));
    return bytes === undefined ? undefined : (JSON.parse(Buffer.from(bytes).toString('utf8')) as InspectionRecord);
  }

  /**
   * Bytes of a stored image or mask, or undefined when missing. Only keys under `inspections/`
   * are read, so a key that somehow came from a client cannot reach other objects in the bucket.
   */
  async getObject(key: string): Promise<Uint8Array | undefined> {
    if (!key.startsWith('inspections/') || key.includes('..')) return undefined;
    return this.read(key);
  }

  /**
   * The newest `limit` records, newest first, optionally only those with a status. Keys are
   * day-partitioned and ids are ULIDs, so it lists whole days walking back from today, reading records
   * newest first and stopping once enough are found: every id of an earlier day is older than every id
   * of a later one. A status filter reads at most MAX_RECORDS_SCANNED records, so a rare status costs a
   * bounded number of reads rather than the whole window.
   */
  async listRecentRecords(limit: number, filter: { status?: InspectionStatus } = {}): Promise<InspectionRecord[]> {
    if (!Number.isFinite(limit) || limit <= 0) return [];
    const wanted = Math.floor(limit);
    const found: InspectionRecord[] = [];
    let scanned = 0;
    const today = this.now();
    for (let back = 0; back < this.listDaysBack && found.length < wanted && scanned < MAX_RECORDS_SCANNED; back += 1) {
      const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - back));
      const ids = (await this.listRecordIdsOfDay(dayPrefix(day))).sort().reverse();
      for (let start = 0; start < ids.length && found.length < wanted && scanned < MAX_RECORDS_SCANNED;) {
        // Unfiltered, exactly the records still wanted are read; filtered, a batch at a time.
        const batch = ids.slice(start, start + (filter.status ? FILTERED_READ_BATCH : wanted - found.length));
        start += batch.length;
        scanned += batch.length;
        const records = await mapWithConcurrency(batch, RECORD_FETCH_CONCURRENCY, (id) => this.getRecord(id));
        // A record deleted between the listing and the read is simply left out.
        for (const record of records) {
          if (record && (!filter.status || record.status === filter.status) && found.length < wanted) found.push(record);
        }
      }
    }
    return found;
  }

  /**
   * A page of the history, newest first (by inspection id, the time it was minted), of the records passing `filter`.
   * Records are keyed `inspections/YYYY/MM/DD/<ULID>.json`, so the scan walks back from the newest in time slices of
   * one UTC day's prefix: each slice is listed in ascending order from its start (StartAfter) up to the scan's position,
   * and its records are read newest first. The scan stops at the limit, or after MAX_RECORD_READS_PER_PAGE record
   * reads or MAX_LIST_REQUESTS_PER_PAGE listings, and answers a cursor (base64url JSON: the position, the slice width
   * and a fingerprint of the filter) to continue from there; so a page may be short, or empty, and still have a next.
   * Without `fromMs` the history reaches back `listDaysBack` UTC days (today included); with it, to that instant.
   */
  async pageRecords(query: InspectionPageQuery): Promise<InspectionPage> {
    const filter = query.filter;
    const fingerprint = filterFingerprint(filter);
    const nowMs = this.now().getTime();
    const today = this.now();
    const defaultFloorMs = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (this.listDaysBack - 1));
    const floorMs = filter.fromMs !== undefined ? Math.max(0, filter.fromMs - ID_BEFORE_CREATED_SLACK_MS) : defaultFloorMs;
    let position: string;
    let sliceMs = FIRST_SLICE_MS;
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(query.cursor);
      if (cursor.f !== fingerprint) throw new MalformedRequestError('"cursor" belongs to a listing with other filters; start again without it.', 'cursor');
      position = cursor.b;
      sliceMs = cursor.w;
    } else {
      // Ids are minted no later than createdAt, so nothing created at or before `toMs` has a later id.
      const newestMs = Math.min(filter.toMs ?? Number.POSITIVE_INFINITY, nowMs + 60_000);
      position = encodeTime(Math.max(0, newestMs + 1), 10);
    }
    const wanted = Math.max(0, Math.floor(query.limit));
    const records: InspectionRecord[] = [];
    let scanned = 0;
    let listings = 0;
    const page = (next: string | undefined): InspectionPage => ({
      records,
      scanned,
      ...(next !== undefined ? { next: encodeCursor({ v: 1, b: next, w: sliceMs, f: fingerprint }) } : {}),
    });

    while (records.length < wanted) {
      // The position is an id (ids below it remain) or a bare time (ids before that instant remain).
      const positionMs = timeOfPosition(position);
      const lastMs = position.length === 10 ? positionMs - 1 : positionMs;
      if (lastMs < floorMs) return page(undefined);
      if (scanned >= MAX_RECORD_READS_PER_PAGE || listings >= MAX_LIST_REQUESTS_PER_PAGE) return page(position);
      const day = new Date(lastMs);
      const dayStartMs = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
      const sliceStartMs = Math.max(dayStartMs, floorMs, lastMs + 1 - sliceMs);
      const prefix = dayPrefix(day);
      const slice = await this.listRecordIdsBetween(prefix, sliceStartMs, position);
      listings += slice.listings;
      // Sparse slices widen the next one, dense ones (more than one listing page) narrow it.
      sliceMs = slice.listings > 1 ? Math.max(MIN_SLICE_MS, Math.floor(sliceMs / 2)) : Math.min(MAX_SLICE_MS, sliceMs * 2);
      const ids = slice.ids.sort().reverse();
      let index = 0;
      while (index < ids.length && records.length < wanted) {
        const budget = MAX_RECORD_READS_PER_PAGE - scanned;
        if (budget <= 0) return page(position);
        // Unfiltered, exactly the records still wanted are read; otherwise a batch at a time.
        const unfiltered = Object.keys(filter).length === 0;
        const batch = ids.slice(index, index + Math.min(budget, unfiltered ? wanted - records.length : FILTERED_READ_BATCH));
        const read = await mapWithConcurrency(batch, RECORD_FETCH_CONCURRENCY, (id) => this.getRecord(id));
        for (const [offset, record] of read.entries()) {
          scanned += 1;
          position = batch[offset]!;
          index += 1;
          // A record deleted between the listing and the read is simply left out.
          if (record && matchesInspectionFilter(record, filter)) {
            records.push(record);
            if (records.length >= wanted) break;
          }
        }
      }
      if (records.length >= wanted) {
        // Full: more may remain below the position (at worst the next page is empty and says so).
        return page(index < ids.length || sliceStartMs > floorMs ? position : undefined);
      }
      position = encodeTime(sliceStartMs, 10);
    }
    return page(position);
  }

  /** The record ids under a day's prefix minted at or after `startMs` and below `position`, listed in key order. */
  private async listRecordIdsBetween(prefix: string, startMs: number, position: string): Promise<{ ids: string[]; listings: number }> {
    const ids: string[] = [];
    const endKey = `${prefix}${position}`;
    let listings = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          // Every key of an id minted at or after startMs sorts after its bare time.
          ...(continuationToken ? { ContinuationToken: continuationToken } : { StartAfter: `${prefix}${encodeTime(startMs, 10)}` }),
          MaxKeys: this.listPageSize,
        }),
      );
      listings += 1;
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        if (object.Key >= endKey) {
          continuationToken = undefined;
          break;
        }
        const match = RECORD_KEY_PATTERN.exec(object.Key);
        if (match?.[1] && object.Key === `${prefix}${match[1]}.json` && match[1] < position) ids.push(match[1]);
      }
    } while (continuationToken);
    return { ids, listings };
  }

  private async listRecordIdsOfDay(prefix: string): Promise<string[]> {
    const ids: string[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken, MaxKeys: this.listPageSize }),
      );
      for (const object of page.Contents ?? []) {
        const match = object.Key ? RECORD_KEY_PATTERN.exec(object.Key) : null;
        if (match?.[1] && object.Key === `${prefix}${match[1]}.json`) ids.push(match[1]);
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return ids;
  }

  private async writeRecord(record: InspectionRecord, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<void> {
    const body = JSON.stringify(record);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: recordKey(record.inspectionId),
        Body: body,
        ContentType: 'application/json',
        ContentLength: Buffer.byteLength(body),
        ...condition,
      }),
    );
  }

  /** The record and the ETag of exactly the version parsed, or undefined when there is none. */
  private async readRecordVersion(key: string): Promise<{ record: InspectionRecord; etag: string } | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!response.Body) return undefined;
      const bytes = await response.Body.transformToByteArray();
      if (!response.ETag) throw new Error(`S3 returned ${key} without an ETag, so it cannot be updated conditionally`);
      return { record: JSON.parse(Buffer.from(bytes).toString('utf8')) as InspectionRecord, etag: response.ETag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async read(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!response.Body) return undefined;
      return await response.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

/** S3 refused a conditional write: 412 PreconditionFailed, or 409 ConditionalRequestConflict (a concurrent write). */
function isWriteConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || $metadata?.httpStatusCode === 412 || $metadata?.httpStatusCode === 409;
}

/**
 * S3 user metadata travels as HTTP headers, which only carry printable ASCII; anything else
 * (a station name with an umlaut, a newline) is percent-encoded rather than breaking the PUT.
 */
function headerSafe(value: string): string {
  return /^[\x20-\x7E]*$/.test(value) ? value : encodeURIComponent(value);
}

/** Where a history scan stands: `b` the position (an id, or a bare 10-character time), `w` the slice width, `f` the filter's fingerprint. */
interface HistoryCursor {
  v: 1;
  b: string;
  w: number;
  f: string;
}

const POSITION = /^[0-7][0-9A-HJKMNP-TV-Z]{9}(?:[0-9A-HJKMNP-TV-Z]{16})?$/;

function encodeCursor(cursor: HistoryCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

function decodeCursor(text: string): HistoryCursor {
  const refuse = () => new MalformedRequestError('"cursor" is not one this API gave out; send the nextCursor of the previous answer unchanged.', 'cursor');
  if (text.length === 0 || text.length > 512 || !/^[A-Za-z0-9_-]+$/.test(text)) throw refuse();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  const cursor = parsed as Partial<HistoryCursor> | null;
  if (
    typeof cursor !== 'object' ||
    cursor === null ||
    cursor.v !== 1 ||
    typeof cursor.b !== 'string' ||
    !POSITION.test(cursor.b) ||
    typeof cursor.w !== 'number' ||
    !Number.isInteger(cursor.w) ||
    cursor.w < MIN_SLICE_MS ||
    cursor.w > MAX_SLICE_MS ||
    typeof cursor.f !== 'string'
  ) {
    throw refuse();
  }
  return { v: 1, b: cursor.b, w: cursor.w, f: cursor.f };
}

/** The time (epoch ms) of a position: an id's, or a bare time's. */
function timeOfPosition(position: string): number {
  return decodeTime(position.length === 10 ? `${position}${'0'.repeat(16)}` : position);
}

/** A short digest of the filter, so a cursor is only taken back with the filter it was made for. */
function filterFingerprint(filter: InspectionFilter): string {
  const canonical = JSON.stringify([filter.stationId, filter.status, filter.decision, filter.alert, filter.fromMs, filter.toMs]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
