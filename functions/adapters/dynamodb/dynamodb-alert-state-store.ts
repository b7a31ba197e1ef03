import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  AlertClaim,
  AlertOutcome,
  AlertStateStore,
  CallDecision,
  DailyCallLimit,
  DailyCallReservation,
  FoldedCallDecision,
  ImageClaim,
} from '../../core/ports/alert-state-store';

/**
 * AlertStateStore on one DynamoDB table: partition key `pk` (string), no sort key, TTL attribute
 * `expiresAt` (epoch seconds). Items, one per thing that must be decided exactly once:
 *
 * | pk | attributes |
 * |---|---|
 * | `image#<sha256>` | inspectionId, claimedAt (ms), expiresAt |
 * | `alert#<inspectionId>` | state (`in-progress`/`done`), leaseUntil (ms), outcome, recordedAlert (JSON), expiresAt |
 * | `station#<stationId>` | lastCallAt (ms), lastCallInspectionId, lastCallFoldedCount, lastCallUntoldCount, folded, foldedIds (string set), expiresAt |
 * | `ladder#<inspectionId>`, `contact#<contactId>` | the escalation ladders: functions/adapters/dynamodb/dynamodb-escalation-store.ts |
 * | `calls#<YYYY-MM-DD>` | inspections (string set of the reserving inspections, over all stations: the ceiling), expiresAt |
 * | `calls#<YYYY-MM-DD>#station#<stationId>` | inspections (the station's own reservations: its cap), expiresAt |
 * | `calls#<YYYY-MM-DD>#notice#<global or station#id>` | noticeAt: people were told this limit was reached that day |
 *
 * DynamoDB deletes expired items lazily (typically within a few days), so every condition treats
 * an item whose `expiresAt` has passed as absent instead of relying on TTL having run.
 * Conditional checks that fail are the normal "someone else was first" answer, never an error.
 */

/**
 * The document client the store talks through (plain JS values in and out), over a client from
 * `createDynamoDbClient`; `undefined` members are dropped so an optional field left unset never fails a write.
 */
export function toDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export interface DynamoDbAlertStateStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  /** How long a finished alert is remembered (longer than SQS's 14-day maximum retention). Default 30 days. */
  alertRetentionSeconds?: number;
  /** How long a quiet station's state is kept after its last write. Default 7 days. */
  stationRetentionSeconds?: number;
}

const DAY_SECONDS = 86_400;
// A conditional write can lose to an expiry or a takeover between two round trips; a few rounds settle it.
const MAX_ROUNDS = 4;
// Stations are few; the cap only keeps a long-lived container's memory of them bounded.
const MAX_REMEMBERED_STATIONS = 1_000;

/** DynamoDB adapter of the alert state port. */
export class DynamoDbAlertStateStore implements AlertStateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly alertRetentionSeconds: number;
  private readonly stationRetentionSeconds: number;
  /**
   * When this process last saw each station's call start (its `lastCallAt`), oldest first. During a burst of defects
   * on one station (a bad lot, every wafer anomalous) nearly every anomaly folds; trying the start write first would
   * cost each of them a failed conditional write (a round trip and a write unit) before the fold. With a remembered
   * start still inside the cooldown, tryStartCall tries the fold first. Only the order depends on this memory, never
   * the outcome: both writes are conditional and at most one of them holds on any item, so a stale memory (another
   * container started a call, the cooldown ended, a call was handed back) costs one failed write, and the next answer
   * corrects it.
   */
  private readonly callStarts = new Map<string, number>();

  constructor(options: DynamoDbAlertStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.alertRetentionSeconds = options.alertRetentionSeconds ?? 30 * DAY_SECONDS;
    this.stationRetentionSeconds = options.stationRetentionSeconds ?? 7 * DAY_SECONDS;
  }

  /** Claim an image by its content hash; see AlertStateStore.claimImage. */
  async claimImage(sha256: string, inspectionId: string, ttlSeconds: number): Promise<ImageClaim> {
    const pk = `image#${sha256}`;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const nowMs = this.now();
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk, inspectionId, claimedAt: nowMs, expiresAt: epochSeconds(nowMs) + ttlSeconds },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR inspectionId = :inspectionId',
            ExpressionAttributeValues: { ':nowSeconds': epochSeconds(nowMs), ':inspectionId': inspectionId },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { firstSeen: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const holder = (await this.itemAfterFailedCondition(error, pk))?.inspectionId;
        // The holder expired and was deleted between the two calls: claim again.
        if (typeof holder === 'string') return { firstSeen: false, inspectionId: holder };
      }
    }
    throw new Error(`Could not claim image ${sha256}: the claim kept changing`);
  }

  /** Give back an image claim; see AlertStateStore.releaseImage. */
  async releaseImage(sha256: string, inspectionId: string): Promise<void> {
    // Another inspection's claim (or none): nothing of ours to give back.
    await this.sendIfCondition(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `image#${sha256}` },
        ConditionExpression: 'inspectionId = :inspectionId',
        ExpressionAttributeValues: { ':inspectionId': inspectionId },
      }),
    );
  }

  /** Claim an alert's processing under a lease; see AlertStateStore.claimAlert. */
  async claimAlert(inspectionId: string, leaseSeconds: number): Promise<AlertClaim> {
    const pk = `alert#${inspectionId}`;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const nowMs = this.now();
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk,
              state: 'in-progress',
              leaseUntil: nowMs + leaseSeconds * 1000,
              expiresAt: epochSeconds(nowMs) + this.alertRetentionSeconds,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR (#state = :inProgress AND leaseUntil <= :nowMs)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':nowSeconds': epochSeconds(nowMs), ':nowMs': nowMs, ':inProgress': 'in-progress' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { claimed: true };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const item = await this.itemAfterFailedCondition(error, pk);
        if (item?.state === 'done') {
          const recordedAlert = typeof item.recordedAlert === 'string' ? { recordedAlert: item.recordedAlert } : {};
          return { claimed: false, state: 'done', outcome: item.outcome as AlertOutcome, ...recordedAlert };
        }
        if (item?.state === 'in-progress') return { claimed: false, state: 'in-progress' };
      }
    }
    throw new Error(`Could not claim the alert of ${inspectionId}: the claim kept changing`);
  }

  /** Mark an alert done; see AlertStateStore.completeAlert. */
  async completeAlert(inspectionId: string, outcome: AlertOutcome, recordedAlert?: string): Promise<void> {
    const nowMs = this.now();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `alert#${inspectionId}`,
          state: 'done',
          outcome,
          recordedAlert,
          completedAt: nowMs,
          expiresAt: epochSeconds(nowMs) + this.alertRetentionSeconds,
        },
      }),
    );
  }

  /** Drop an in-progress lease; see AlertStateStore.releaseAlert. */
  async releaseAlert(inspectionId: string): Promise<void> {
    // Already done (or gone): nothing to release.
    await this.sendIfCondition(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `alert#${inspectionId}` },
        ConditionExpression: '#state = :inProgress',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'in-progress' },
      }),
    );
  }

  /** Reopen an alert that ended without a call; see AlertStateStore.reopenAlert. */
  async reopenAlert(inspectionId: string): Promise<boolean> {
    // Placed, folded, in progress or unknown: nothing to reopen.
    return this.sendIfCondition(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `alert#${inspectionId}` },
        ConditionExpression: '#state = :done AND (outcome = :failed OR outcome = :capped)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done', ':failed': 'failed', ':capped': 'capped' },
      }),
    );
  }

  /** Ring or fold, per station; see AlertStateStore.tryStartCall. */
  async tryStartCall(stationId: string, inspectionId: string, nowMs: number, cooldownMs: number): Promise<CallDecision> {
    const key = { pk: `station#${stationId}` };
    // DynamoDB refuses values an expression does not use, so :nowMs is added only where it is.
    const values = {
      ':cutoff': nowMs - cooldownMs,
      ':inspectionId': inspectionId,
      ':expiresAt': epochSeconds(nowMs) + Math.ceil(cooldownMs / 1000) + this.stationRetentionSeconds,
    };
    // The call starts when the cooldown is over (or the station never rang): undefined when its condition did not hold.
    const start = async (): Promise<CallDecision | undefined> => {
      try {
        // DynamoDB evaluates every SET operand on the item as it was before the update, so the folded count is
        // handed over and reset in the same write; the folded inspections come back with the old item.
        const started = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET lastCallAt = :nowMs, lastCallInspectionId = :inspectionId, lastCallFoldedCount = if_not_exists(folded, :zero), ' +
              'lastCallUntoldCount = if_not_exists(folded, :zero) + :one, folded = :zero, expiresAt = :expiresAt REMOVE foldedIds, lastCallSummary, lastCallFoldedIds',
            ConditionExpression:
              '(attribute_not_exists(lastCallAt) OR lastCallAt <= :cutoff) AND (attribute_not_exists(lastCallInspectionId) OR lastCallInspectionId <> :inspectionId)',
            ExpressionAttributeValues: { ...values, ':nowMs': nowMs, ':zero': 0, ':one': 1 },
            ReturnValues: 'ALL_OLD',
          }),
        );
        this.rememberCallStart(stationId, nowMs);
        const foldedInspectionIds = stringsOf(started.Attributes?.foldedIds);
        return { call: true, foldedCount: numberOf(started.Attributes?.folded), ...(foldedInspectionIds.length > 0 ? { foldedInspectionIds } : {}) };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return undefined;
      }
    };
    // The anomaly folds into the call ringing within the cooldown: undefined when its condition did not hold.
    const fold = async (): Promise<CallDecision | undefined> => {
      try {
        // Folding is idempotent per inspection (a retried delivery is not counted twice): the set remembers who folded.
        const folded = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'ADD folded :one, foldedIds :inspectionIds SET expiresAt = :expiresAt',
            ConditionExpression: 'lastCallAt > :cutoff AND lastCallInspectionId <> :inspectionId AND NOT contains(foldedIds, :inspectionId)',
            ExpressionAttributeValues: { ...values, ':one': 1, ':inspectionIds': new Set([inspectionId]) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        this.rememberCallStart(stationId, folded.Attributes?.lastCallAt);
        return foldDecision(folded.Attributes, cooldownMs);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return undefined;
      }
    };
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      // A call this process saw start within the cooldown is most likely still ringing: fold first (see callStarts).
      const remembered = this.callStarts.get(stationId);
      const writes = remembered !== undefined && remembered > nowMs - cooldownMs ? [fold, start] : [start, fold];
      for (const write of writes) {
        const decision = await write();
        if (decision) return decision;
      }
      // Neither a new call nor a fold: this inspection already owns the station's call or was already folded into it
      // (a retry), or the station changed between the two writes (go round again).
      const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      this.rememberCallStart(stationId, current.Item?.lastCallAt);
      if (current.Item?.lastCallInspectionId === inspectionId) {
        return { call: true, foldedCount: numberOf(current.Item.lastCallFoldedCount) };
      }
      if (stringsOf(current.Item?.foldedIds).includes(inspectionId) && numberOf(current.Item?.lastCallAt) > nowMs - cooldownMs) {
        return foldDecision(current.Item, cooldownMs);
      }
    }
    throw new Error(`Could not decide the call for station ${stationId}: the station kept changing`);
  }

  /** At a cooldown's end, ring about the untold folds; see AlertStateStore.tryStartFoldedCall. */
  async tryStartFoldedCall(stationId: string, nowMs: number, cooldownMs: number): Promise<FoldedCallDecision> {
    const key = { pk: `station#${stationId}` };
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const current = (await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item;
      const lastCallAtSeen = typeof current?.lastCallAt === 'number' ? current.lastCallAt : undefined;
      this.rememberCallStart(stationId, lastCallAtSeen);
      if (current?.lastCallSummary === true && lastCallAtSeen !== undefined && lastCallAtSeen > nowMs - cooldownMs) {
        // This cooldown's summary call was started already (this is a retried or repeated delivery): the same call again,
        // so its ladder can finish ringing; a ladder that rang is never rung twice.
        const leadInspectionId = String(current.lastCallInspectionId);
        return {
          call: true,
          foldedCount: numberOf(current.lastCallFoldedCount),
          leadInspectionId,
          foldedInspectionIds: stringsOf(current.lastCallFoldedIds).sort(),
        };
      }
      const count = numberOf(current?.folded);
      const ids = stringsOf(current?.foldedIds).sort();
      // Without the inspections (folds handed back by a failed call) there is no wafer to call about: the count waits
      // for the station's next call.
      if (!current || count <= 0 || ids.length === 0) return { call: false, reason: 'nothing-folded' };
      const lastCallAt = typeof current.lastCallAt === 'number' ? current.lastCallAt : undefined;
      if (lastCallAt !== undefined && lastCallAt > nowMs - cooldownMs)
        return { call: false, reason: 'cooling-down', cooldownEndsAtMs: lastCallAt + cooldownMs };
      const lead = ids[ids.length - 1] as string;
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET lastCallAt = :nowMs, lastCallInspectionId = :lead, lastCallFoldedCount = :count, lastCallUntoldCount = :count, folded = :zero, ' +
              'lastCallSummary = :true, lastCallFoldedIds = :ids, expiresAt = :expiresAt REMOVE foldedIds',
            ConditionExpression: lastCallAt === undefined ? 'folded = :count AND attribute_not_exists(lastCallAt)' : 'folded = :count AND lastCallAt = :seen',
            ExpressionAttributeValues: {
              ':nowMs': nowMs,
              ':lead': lead,
              ':count': count,
              ':zero': 0,
              ':true': true,
              ':ids': new Set(ids),
              ':expiresAt': epochSeconds(nowMs) + Math.ceil(cooldownMs / 1000) + this.stationRetentionSeconds,
              ...(lastCallAt === undefined ? {} : { ':seen': lastCallAt }),
            },
          }),
        );
        this.rememberCallStart(stationId, nowMs);
        return { call: true, foldedCount: count, leadInspectionId: lead, foldedInspectionIds: ids };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`Could not tell the folded anomalies of station ${stationId}: the station kept changing`);
  }

  /** End a failed call's cooldown; see AlertStateStore.recordCallFailed. */
  async recordCallFailed(stationId: string, inspectionId: string): Promise<boolean> {
    // The write may remove the station's lastCallAt (also when it fails after DynamoDB applied it): forget the start.
    this.rememberCallStart(stationId, undefined);
    return this.sendIfCondition(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `station#${stationId}` },
        // Update expressions allow one + per operand, hence the untold count prepared when the call started.
        UpdateExpression:
          'SET folded = folded + lastCallUntoldCount REMOVE lastCallAt, lastCallInspectionId, lastCallFoldedCount, lastCallUntoldCount, lastCallSummary, lastCallFoldedIds',
        ConditionExpression: 'lastCallInspectionId = :inspectionId',
        ExpressionAttributeValues: { ':inspectionId': inspectionId },
      }),
    );
  }

  /**
   * Reserve one call of the day within the station's cap and the global ceiling; see AlertStateStore.reserveDailyCall.
   * Two conditional updates, the station's first, then the ceiling's, undoing the station's when the ceiling refuses.
   * Written as two writes rather than one transaction so the local DynamoDB (dynalite, no TransactWriteItems) runs the
   * same code; the cost is that, only while the ceiling is reached, a concurrent call of the same station can see its
   * count one too high for a few milliseconds and be refused by the station cap instead of the ceiling: refused either
   * way. Neither count ever exceeds its cap.
   */
  async reserveDailyCall(request: DailyCallReservation): Promise<'reserved' | DailyCallLimit> {
    const dayStartMs = Date.parse(`${request.dayUtc}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(request.dayUtc) || Number.isNaN(dayStartMs)) throw new Error(`Not a UTC day (YYYY-MM-DD): ${request.dayUtc}`);
    const expiresAt = epochSeconds(dayStartMs) + 3 * DAY_SECONDS;
    const stationKey = `calls#${request.dayUtc}#station#${request.stationId}`;
    if (!(await this.reserveIn(stationKey, request.stationCap, request.reservation, expiresAt))) return 'station-cap';
    if (await this.reserveIn(`calls#${request.dayUtc}`, request.globalCap, request.reservation, expiresAt)) return 'reserved';
    // The ceiling is reached: the station's count gives the reservation back, so its own cap is not spent on nothing.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: stationKey },
        UpdateExpression: 'DELETE inspections :inspection',
        ExpressionAttributeValues: { ':inspection': new Set([request.reservation]) },
      }),
    );
    return 'global-cap';
  }

  /** First ask of the day about one limit; see AlertStateStore.claimCapNotice. */
  async claimCapNotice(dayUtc: string, limit: DailyCallLimit, stationId: string): Promise<boolean> {
    const dayStartMs = Date.parse(`${dayUtc}T00:00:00Z`);
    const scope = limit === 'global-cap' ? 'global' : `station#${stationId}`;
    return this.sendIfCondition(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `calls#${dayUtc}#notice#${scope}` },
        UpdateExpression: 'SET noticeAt = :now, expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':now': new Date().toISOString(), ':expiresAt': epochSeconds(dayStartMs) + 3 * DAY_SECONDS },
      }),
    );
  }

  /** Add `reservation` to the string set of `pk` while it holds fewer than `cap` (a reservation already in it is kept). */
  private reserveIn(pk: string, cap: number, reservation: string, expiresAt: number): Promise<boolean> {
    // A string set makes the reservation idempotent: adding an inspection that is already in it changes nothing.
    return this.sendIfCondition(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk },
        UpdateExpression: 'ADD inspections :inspection SET expiresAt = :expiresAt',
        ConditionExpression: 'attribute_not_exists(inspections) OR size(inspections) < :cap OR contains(inspections, :inspectionId)',
        ExpressionAttributeValues: {
          ':inspection': new Set([reservation]),
          ':inspectionId': reservation,
          ':cap': cap,
          ':expiresAt': expiresAt,
        },
      }),
    );
  }

  /** Remember when a station's call started (a `lastCallAt` just read or written), or forget it (not a number); see callStarts. */
  private rememberCallStart(stationId: string, lastCallAt: unknown): void {
    this.callStarts.delete(stationId);
    if (typeof lastCallAt !== 'number') return;
    this.callStarts.set(stationId, lastCallAt);
    if (this.callStarts.size > MAX_REMEMBERED_STATIONS) {
      const oldest = this.callStarts.keys().next().value;
      if (oldest !== undefined) this.callStarts.delete(oldest);
    }
  }

  /** Send a conditional write: true when it was applied, false when its condition did not hold (someone else was first). */
  private async sendIfCondition(command: DeleteCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The item that made a condition fail: DynamoDB returns it with the error when asked
   * (ReturnValuesOnConditionCheckFailure); emulators that do not are answered by a consistent read.
   */
  private async itemAfterFailedCondition(error: ConditionalCheckFailedException, pk: string): Promise<Record<string, unknown> | undefined> {
    if (error.Item) return unmarshallFlat(error.Item);
    const current = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }));
    return current.Item;
  }
}

function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function numberOf(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** A string set as the document client returns it (a Set), as a plain array; [] when absent. */
export function stringsOf(value: unknown): string[] {
  if (value instanceof Set) return [...value].map(String);
  return Array.isArray(value) ? value.map(String) : [];
}

function foldDecision(item: Record<string, unknown> | undefined, cooldownMs: number): CallDecision {
  return {
    call: false,
    foldedCount: numberOf(item?.folded),
    activeCallInspectionId: String(item?.lastCallInspectionId),
    cooldownEndsAtMs: numberOf(item?.lastCallAt) + cooldownMs,
  };
}

/** The few scalar attribute types these items hold (S, N), from the raw AttributeValue map on an error. */
function unmarshallFlat(item: NonNullable<ConditionalCheckFailedException['Item']>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value.S !== undefined) plain[name] = value.S;
    else if (value.N !== undefined) plain[name] = Number(value.N);
  }
  return plain;
}
