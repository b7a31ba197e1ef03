import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CallEnded, ContactLink, EscalationStore, LadderState } from '../../core/ports/escalation-store';
import { stringsOf } from './dynamodb-alert-state-store';

/**
 * EscalationStore on the alert state table (partition key `pk`, TTL `expiresAt`), beside the image claims and
 * station cooldowns of DynamoDbAlertStateStore:
 *
 * | pk | attributes |
 * |---|---|
 * | `ladder#<inspectionId>` | inspectionId, stationId, status (ringing / acknowledged / unacknowledged), step, rungStep, started, ended and dialing (string sets of `step:index`), startedCalls (string set of `step:index=contactId`), anyCallStarted, foldedIds, acknowledgedBy, expiresAt |
 * | `contact#<contactId>` | the ContactLink (inspection, step, level, loop, contact name, masked number), endedAt, expiresAt |
 *
 * Every move is one conditional write, so timers, contact events and keypresses that arrive together (or twice, or
 * out of order) move a ladder once.
 */
export interface DynamoDbEscalationStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Milliseconds since the epoch; injectable so tests can move time. */
  now?: () => number;
  /** How long a ladder and its calls are remembered. Default 30 days. */
  retentionSeconds?: number;
}

/** DynamoDB adapter of the escalation port. */
export class DynamoDbEscalationStore implements EscalationStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly retentionSeconds: number;

  constructor(options: DynamoDbEscalationStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.retentionSeconds = options.retentionSeconds ?? 30 * 86_400;
  }

  /** Start a ladder at step 0, or answer the one that exists. */
  async openLadder(inspectionId: string, stationId: string, foldedInspectionIds: readonly string[]): Promise<LadderState> {
    const item = {
      pk: ladderKey(inspectionId),
      inspectionId,
      stationId,
      status: 'ringing',
      step: 0,
      rungStep: -1,
      anyCallStarted: false,
      ...(foldedInspectionIds.length > 0 ? { foldedIds: new Set(foldedInspectionIds) } : {}),
      expiresAt: this.expiresAt(),
    };
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return toLadder(item);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.getLadder(inspectionId);
    if (!existing) throw new Error(`The ladder of ${inspectionId} exists and cannot be read`);
    return existing;
  }

  /** The ladder as it stands (a consistent read). */
  async getLadder(inspectionId: string): Promise<LadderState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: ladderKey(inspectionId) }, ConsistentRead: true }));
    return result.Item ? toLadder(result.Item) : undefined;
  }

  /** Move a ringing ladder one step on, from `fromStep` only. */
  async advanceLadder(inspectionId: string, fromStep: number): Promise<LadderState | undefined> {
    return this.updateLadder(inspectionId, {
      UpdateExpression: 'SET step = :next',
      ConditionExpression: '#status = :ringing AND step = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':next': fromStep + 1, ':from': fromStep, ':ringing': 'ringing' },
    });
  }

  /** Forget a ladder that never rang anyone (a redriven alert starts over). */
  async discardUnrungLadder(inspectionId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: ladderKey(inspectionId) },
          ConditionExpression: 'anyCallStarted = :false',
          ExpressionAttributeValues: { ':false': false },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** End a ringing ladder at `atStep`, unacknowledged. */
  async giveUpLadder(inspectionId: string, atStep: number): Promise<boolean> {
    const ladder = await this.updateLadder(inspectionId, {
      UpdateExpression: 'SET #status = :unacknowledged',
      ConditionExpression: '#status = :ringing AND step = :at',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':unacknowledged': 'unacknowledged', ':ringing': 'ringing', ':at': atStep },
    });
    return ladder !== undefined;
  }

  /** Remember a started call by its contact id, and count it on the ladder. */
  async recordCallStarted(link: ContactLink): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: contactKey(link.contactId), ...link, expiresAt: this.expiresAt() } }));
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: ladderKey(link.inspectionId) },
        UpdateExpression: 'ADD started :key, startedCalls :call SET anyCallStarted = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': new Set([link.callKey]), ':call': new Set([`${link.callKey}=${link.contactId}`]), ':true': true },
      }),
    );
  }

  /** A call that could not start counts as started and ended. */
  async recordCallNotStarted(inspectionId: string, callKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: ladderKey(inspectionId) },
        UpdateExpression: 'ADD started :key, ended :key',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': new Set([callKey]) },
      }),
    );
  }

  /** Connect is about to be asked for this call. */
  async recordCallDialing(inspectionId: string, callKey: string): Promise<void> {
    await this.updateCallKeys(inspectionId, 'ADD dialing :key', callKey);
  }

  /** Connect certainly did not start the call. */
  async clearCallDialing(inspectionId: string, callKey: string): Promise<void> {
    await this.updateCallKeys(inspectionId, 'DELETE dialing :key', callKey);
  }

  /** Whether the call started is unknown: counted as started (and possibly ringing someone), not ended. */
  async recordCallUnconfirmed(inspectionId: string, callKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: ladderKey(inspectionId) },
        UpdateExpression: 'ADD started :key SET anyCallStarted = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': new Set([callKey]), ':true': true },
      }),
    );
  }

  private async updateCallKeys(inspectionId: string, expression: string, callKey: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: ladderKey(inspectionId) },
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': new Set([callKey]) },
      }),
    );
  }

  /** Every call of `step` was started (or refused). */
  async markStepRung(inspectionId: string, step: number): Promise<LadderState | undefined> {
    const moved = await this.updateLadder(inspectionId, {
      UpdateExpression: 'SET rungStep = :step',
      ConditionExpression: 'rungStep < :step',
      ExpressionAttributeValues: { ':step': step },
    });
    return moved ?? this.getLadder(inspectionId);
  }

  /** The call behind a Connect contact id. */
  async findContact(contactId: string): Promise<ContactLink | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: contactKey(contactId) }, ConsistentRead: true }));
    return result.Item ? toContactLink(result.Item) : undefined;
  }

  /** A call ended without a key: once per contact, however often it is reported. */
  async recordCallEnded(contactId: string): Promise<CallEnded> {
    let link: ContactLink;
    try {
      const ended = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: contactKey(contactId) },
          UpdateExpression: 'SET endedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(endedAt)',
          ExpressionAttributeValues: { ':now': this.now() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      link = toContactLink(ended.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { firstReport: false };
      throw error;
    }
    const ladder = await this.updateLadder(link.inspectionId, {
      UpdateExpression: 'ADD ended :key',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':key': new Set([link.callKey]) },
    });
    return { firstReport: true, ladder };
  }

  /** Acknowledge a ladder for the contact that pressed a key; the first contact wins. */
  async acknowledge(
    inspectionId: string,
    contactId: string,
  ): Promise<{ acknowledged: true; ladder: LadderState } | { acknowledged: false; byContactId?: string }> {
    const ladder = await this.updateLadder(inspectionId, {
      UpdateExpression: 'SET #status = :acknowledged, acknowledgedBy = :contactId',
      ConditionExpression: '(#status = :ringing OR #status = :unacknowledged) AND attribute_not_exists(acknowledgedBy)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':acknowledged': 'acknowledged', ':contactId': contactId, ':ringing': 'ringing', ':unacknowledged': 'unacknowledged' },
    });
    if (ladder) return { acknowledged: true, ladder };
    const current = await this.getLadder(inspectionId);
    return current?.acknowledgedByContactId ? { acknowledged: false, byContactId: current.acknowledgedByContactId } : { acknowledged: false };
  }

  /** One conditional update of a ladder: the ladder after it, or undefined when its condition did not hold. */
  private async updateLadder(
    inspectionId: string,
    update: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<LadderState | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({ TableName: this.tableName, Key: { pk: ladderKey(inspectionId) }, ...update, ReturnValues: 'ALL_NEW' }),
      );
      return result.Attributes ? toLadder(result.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private expiresAt(): number {
    return Math.floor(this.now() / 1000) + this.retentionSeconds;
  }
}

function ladderKey(inspectionId: string): string {
  return `ladder#${inspectionId}`;
}

function contactKey(contactId: string): string {
  return `contact#${contactId}`;
}

function toLadder(item: Record<string, unknown>): LadderState {
  const status = item.status === 'acknowledged' || item.status === 'unacknowledged' ? item.status : 'ringing';
  return {
    inspectionId: String(item.inspectionId),
    stationId: String(item.stationId),
    status,
    step: Number(item.step ?? 0),
    rungStep: Number(item.rungStep ?? -1),
    started: stringsOf(item.started),
    startedCalls: Object.fromEntries(stringsOf(item.startedCalls).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])),
    ended: stringsOf(item.ended),
    dialing: stringsOf(item.dialing),
    anyCallStarted: item.anyCallStarted === true,
    foldedInspectionIds: stringsOf(item.foldedIds),
    ...(typeof item.acknowledgedBy === 'string' ? { acknowledgedByContactId: item.acknowledgedBy } : {}),
  };
}

function toContactLink(item: Record<string, unknown>): ContactLink {
  return {
    contactId: String(item.contactId),
    inspectionId: String(item.inspectionId),
    stationId: String(item.stationId),
    step: Number(item.step),
    callKey: String(item.callKey),
    level: Number(item.level),
    loop: Number(item.loop),
    contactName: String(item.contactName),
    phone: String(item.phone),
    startedAt: String(item.startedAt),
  };
}
