import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonObjectBody, RestJsonEmulator, type EmulatorResponse, type RouteRequest } from './rest-json-emulator';

/**
 * Local stand-in for Amazon SQS (dev and test only), at the wire protocol the installed
 * @aws-sdk/client-sqs speaks: AWS JSON 1.0 (`POST /`, `X-Amz-Target: AmazonSQS.<Operation>`,
 * `Content-Type: application/x-amz-json-1.0`) in query-compatible mode, so errors carry both
 * `__type: com.amazonaws.sqs#<Shape>` and the legacy code in `x-amzn-query-error: <code>;Sender`,
 * which the SDK maps back to its typed exceptions (QueueDoesNotExist, ReceiptHandleIsInvalid, ...).
 * The SDK checks MD5OfMessageBody on SendMessage and MD5OfBody on ReceiveMessage; both are real MD5s here.
 *
 * Standard queues with visibility timeouts, delays, retention, receive counts and a redrive policy
 * (a message received more than maxReceiveCount times moves to the dead-letter queue on its next
 * receive, as in SQS). FIFO queues (`.fifo`) de-duplicate for 5 minutes and keep one message group
 * in flight at a time. Time comes from an injectable clock, so tests move visibility timeouts
 * without sleeping; only WaitTimeSeconds waits in real time.
 *
 * The same queues are reachable in-process (`sendMessage`, `receive`, `deleteMessage`, ...) for the
 * Lambda-style pump in `sqs-lambda-pump.ts`, which stands in for the SQS event source mapping.
 *
 * Batch calls (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch) answer per entry in `Successful` /
 * `Failed`, after the request-level checks SQS makes (EmptyBatchRequest, TooManyEntriesInBatchRequest,
 * InvalidBatchEntryId, BatchEntryIdsNotDistinct, BatchRequestTooLong). Dead-letter queue redrive
 * (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask) moves a DLQ's messages back to the queues they
 * came from, or to DestinationArn, at MaxNumberOfMessagesPerSecond; it paces itself in real time, like long polling.
 */

/** The SQS errors the emulator produces or can inject, with HTTP status and legacy query code. */
export const SQS_ERRORS = {
  QueueDoesNotExist: { status: 400, queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
  QueueNameExists: { status: 400, queryCode: 'QueueAlreadyExists' },
  ReceiptHandleIsInvalid: { status: 404, queryCode: 'ReceiptHandleIsInvalid' },
  MessageNotInflight: { status: 400, queryCode: 'AWS.SimpleQueueService.MessageNotInflight' },
  InvalidAttributeName: { status: 400, queryCode: 'InvalidAttributeName' },
  InvalidAttributeValue: { status: 400, queryCode: 'InvalidAttributeValue' },
  InvalidParameterValue: { status: 400, queryCode: 'InvalidParameterValue' },
  MissingParameter: { status: 400, queryCode: 'MissingParameter' },
  UnsupportedOperation: { status: 400, queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' },
  EmptyBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest' },
  TooManyEntriesInBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
  BatchEntryIdsNotDistinct: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
  BatchRequestTooLong: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong' },
  InvalidBatchEntryId: { status: 400, queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
  ResourceNotFoundException: { status: 404, queryCode: 'ResourceNotFoundException' },
  RequestThrottled: { status: 403, queryCode: 'RequestThrottled' },
  OverLimit: { status: 403, queryCode: 'OverLimit' },
  InternalError: { status: 500, queryCode: 'InternalError' },
  ServiceUnavailable: { status: 503, queryCode: 'ServiceUnavailable' },
} as const;
export type SqsErrorType = keyof typeof SQS_ERRORS;

/** An SQS error raised by the in-process API (the HTTP API answers it as the service would). */
export class SqsEmulatorError extends Error {
  constructor(
    readonly errorType: SqsErrorType,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** A message attribute as SQS carries it (binary values as bytes in-process, base64 on the wire). */
export interface SqsMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** What a receive hands out: everything, system attributes included, whatever was asked. */
export interface EmulatedReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  /** System attributes: SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp, SenderId, ... */
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsMessageAttribute>;
}

/** A stored message as tests inspect it. */
export interface EmulatedMessage {
  messageId: string;
  body: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  receiveCount: number;
  sentAt: number;
  /** 'visible' (can be received now), 'in-flight' (received, not deleted, timeout running) or 'delayed'. */
  state: 'visible' | 'in-flight' | 'delayed';
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** Set on a message moved here by a redrive policy. */
  deadLetterQueueSourceArn?: string;
}

/** A message movement task (dead-letter queue redrive) as ListMessageMoveTasks reports it. */
export interface MessageMoveTask {
  /** Only while RUNNING, as SQS reports it. */
  taskHandle?: string;
  status: MessageMoveTaskStatus;
  sourceArn: string;
  /** Only when StartMessageMoveTask named one (otherwise each message goes back to the queue it was dead-lettered from). */
  destinationArn?: string;
  /** Only when StartMessageMoveTask set it. */
  maxNumberOfMessagesPerSecond?: number;
  approximateNumberOfMessagesMoved: number;
  approximateNumberOfMessagesToMove: number;
  /** Only when FAILED. */
  failureReason?: string;
  /** Milliseconds since the epoch (the emulator's clock). */
  startedTimestamp: number;
}

/** The statuses SQS documents for a message movement task (CANCELLING is passed straight through here). */
export type MessageMoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface SqsEmulatorOptions {
  region?: string;
  accountId?: string;
  /** Milliseconds since the epoch; injectable so tests can let visibility timeouts pass without sleeping. */
  now?: () => number;
  host?: string;
  port?: number;
  /**
   * Keep the queues and their messages in this JSON file, so a restarted local stack finds what was on its queues
   * (a ladder's delayed timer among them), as SQS would keep it. Written a moment after each change and on close;
   * in memory only when unset.
   */
  persistTo?: string;
}

/** How long after a change the persisted file is rewritten: changes in between are written together. */
const PERSIST_DELAY_MS = 50;

/** Batch limits (SQS API reference): at most 10 entries, Ids of 1–80 letters, digits, `-`, `_`, 1 MiB of messages in all. */
const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_BATCH_PAYLOAD_BYTES = 1_048_576;
/** StartMessageMoveTask: "The maximum value for messages per second is 500"; unset, SQS picks the rate (here the maximum). */
const MAX_MOVE_RATE = 500;
const MOVE_TICK_MS = 25;
/** ListMessageMoveTasks keeps the 10 most recent tasks of a source queue. */
const MAX_LISTED_MOVE_TASKS = 10;

/**
 * The FailureReason values SQS gives a failed redrive (SQS Developer Guide, "Troubleshooting DLQ redrive"): a message
 * sent straight to the DLQ has no source to go back to; a queue that no longer exists.
 */
export const COULD_NOT_DETERMINE_MESSAGE_SOURCE = 'CouldNotDetermineMessageSource';
export const NON_EXISTENT_QUEUE = 'AWS.SimpleQueueService.NonExistentQueue';

class MoveTaskFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface StoredMoveTask {
  taskHandle: string;
  sourceArn: string;
  destinationArn?: string;
  maxNumberOfMessagesPerSecond?: number;
  status: MessageMoveTaskStatus;
  moved: number;
  toMove: number;
  startedAt: number;
  failureReason?: string;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  md5OfMessageAttributes?: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Every handle issued for the message; the newest one is the only one that changes visibility. */
  receiptHandles: string[];
  messageGroupId?: string;
  messageDeduplicationId?: string;
  sequenceNumber?: string;
  deadLetterQueueSourceArn?: string;
}

interface QueueState {
  name: string;
  url: string;
  arn: string;
  fifo: boolean;
  attributes: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  messages: StoredMessage[];
  /** FIFO de-duplication: id → when it was first sent. */
  deduplication: Map<string, { at: number; messageId: string; sequenceNumber: string }>;
}

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  VisibilityTimeout: '30',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
  MaximumMessageSize: '262144',
};
const SETTABLE_ATTRIBUTES = new Set([
  ...Object.keys(DEFAULT_ATTRIBUTES),
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'Policy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
]);
const NUMERIC_LIMITS: Record<string, [number, number]> = {
  VisibilityTimeout: [0, 43_200],
  MessageRetentionPeriod: [60, 1_209_600],
  DelaySeconds: [0, 900],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  MaximumMessageSize: [1_024, 262_144],
};
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const WAIT_POLL_MS = 20;

/** Emulates the SQS operations the alerting path uses. */
export class SqsEmulator extends RestJsonEmulator {
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => number;
  private readonly queues = new Map<string, QueueState>();
  /** Receipt handle → the stored entry it was issued for (an object, as a duplicated delivery is a second entry with the same MessageId). */
  private readonly handleOwners = new Map<string, { queue: QueueState; entry: StoredMessage }>();
  private sequence = 0n;
  private duplicateBudget = 0;
  /** Message movement tasks, oldest first; the running ones have a timer in moveTimers. */
  private readonly moveTasks: StoredMoveTask[] = [];
  private readonly moveTimers = new Map<string, NodeJS.Timeout>();
  private readonly moveIdleWaiters = new Set<() => void>();
  private baseUrl: string | undefined;
  private readonly persistTo: string | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private lastPersisted = '';

  constructor(options: SqsEmulatorOptions = {}) {
    super('com.amazonaws.sqs', { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.now = options.now ?? Date.now;
    this.persistTo = options.persistTo;
    if (this.persistTo) this.restore(this.persistTo);
    // A redrive that was running when the previous process stopped goes on, as SQS's would have.
    for (const task of this.moveTasks) if (task.status === 'RUNNING') this.runMoveTask(task);
  }

  /** Start listening; queue URLs created before start are rewritten to the real endpoint. */
  override async start(): Promise<string> {
    const endpoint = await super.start();
    this.baseUrl = endpoint;
    for (const queue of this.queues.values()) queue.url = `${endpoint}/${this.accountId}/${queue.name}`;
    return endpoint;
  }

  /** Stop listening; the persisted file is brought up to date first. */
  override async close(): Promise<void> {
    clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    for (const timer of this.moveTimers.values()) clearInterval(timer);
    this.moveTimers.clear();
    this.persistNow();
    await super.close();
  }

  /**
   * Note a change to persist. Every operation that changes a queue calls it; the write itself comes a moment later,
   * atomically (temporary file, then rename), so a stack killed mid-write keeps the previous state whole.
   */
  private changed(): void {
    if (!this.persistTo || this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      this.persistNow();
    }, PERSIST_DELAY_MS);
    this.persistTimer.unref();
  }

  private persistNow(): void {
    if (!this.persistTo) return;
    const state = JSON.stringify({
      version: 1,
      sequence: this.sequence.toString(),
      queues: [...this.queues.values()].map((queue) => ({
        ...queue,
        url: undefined,
        // Receipt handles die with the process, as a consumer's do when its Lambda is gone: the messages stay in flight
        // until their visibility timeout, then are delivered again.
        messages: queue.messages.map((message) => ({ ...message, receiptHandles: [] })),
        deduplication: [...queue.deduplication.entries()],
      })),
      moveTasks: this.moveTasks,
    });
    if (state === this.lastPersisted) return;
    mkdirSync(path.dirname(this.persistTo), { recursive: true });
    const temporary = `${this.persistTo}.${process.pid}.tmp`;
    writeFileSync(temporary, state);
    renameSync(temporary, this.persistTo);
    this.lastPersisted = state;
  }

  private restore(file: string): void {
    if (!existsSync(file)) return;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      sequence: string;
      queues: Array<Omit<QueueState, 'deduplication' | 'url'> & { deduplication: Array<[string, { at: number; messageId: string; sequenceNumber: string }]> }>;
      /** Absent from files written before the emulator had message movement tasks. */
      moveTasks?: StoredMoveTask[];
    };
    this.moveTasks.push(...(saved.moveTasks ?? []));
    this.sequence = BigInt(saved.sequence);
    for (const queue of saved.queues) {
      this.queues.set(queue.name, {
        ...queue,
        url: `${this.baseUrl ?? 'http://sqs.local'}/${this.accountId}/${queue.name}`,
        deduplication: new Map(queue.deduplication),
      });
    }
  }

  /** Answer the next `count` HTTP requests with an SQS error (in-process calls are not affected). */
  failNext(count: number, errorType: SqsErrorType, options: { message?: string } = {}): void {
    this.enqueueFault(count, { kind: 'error', error: wireError(errorType, options.message ?? `${errorType} (emulated)`) });
  }

  /** Create a queue (idempotent for the same attributes, like CreateQueue); returns its URL. */
  createQueue(name: string, attributes: Record<string, string> = {}): string {
    this.changed();
    const existing = this.queues.get(name);
    const fifo = name.endsWith('.fifo');
    if (!QUEUE_NAME.test(fifo ? name.slice(0, -5) : name)) {
      throw new SqsEmulatorError('InvalidParameterValue', 'Queue names are 1 to 80 letters, digits, hyphens and underscores (plus .fifo)');
    }
    if (fifo !== (attributes.FifoQueue === 'true')) {
      throw new SqsEmulatorError('InvalidParameterValue', 'A FIFO queue needs both the .fifo name suffix and the attribute FifoQueue=true');
    }
    const validated = this.validateAttributes(attributes, fifo);
    if (existing) {
      for (const [key, value] of Object.entries(validated)) {
        if (existing.attributes[key] !== value)
          throw new SqsEmulatorError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${key}`);
      }
      return existing.url;
    }
    const at = this.now();
    const queue: QueueState = {
      name,
      url: `${this.baseUrl ?? 'http://sqs.local'}/${this.accountId}/${name}`,
      arn: `arn:aws:sqs:${this.region}:${this.accountId}:${name}`,
      fifo,
      attributes: { ...DEFAULT_ATTRIBUTES, ...(fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}), ...validated },
      createdAt: at,
      modifiedAt: at,
      messages: [],
      deduplication: new Map(),
    };
    this.queues.set(name, queue);
    return queue.url;
  }

  /** Change queue attributes (SetQueueAttributes). */
  setQueueAttributes(queueUrl: string, attributes: Record<string, string>): void {
    this.changed();
    const queue = this.queue(queueUrl);
    Object.assign(queue.attributes, this.validateAttributes(attributes, queue.fifo));
    queue.modifiedAt = this.now();
  }

  /** The URL of a queue by name; throws QueueDoesNotExist. */
  queueUrl(name: string): string {
    return this.queue(name).url;
  }

  /** The ARN of a queue by name or URL. */
  queueArn(nameOrUrl: string): string {
    return this.queue(nameOrUrl).arn;
  }

  /** Queue attributes as GetQueueAttributes reports them (all of them). */
  queueAttributes(nameOrUrl: string): Record<string, string> {
    const queue = this.queue(nameOrUrl);
    this.expire(queue);
    const at = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of queue.messages) {
      if (message.visibleAt <= at) visible += 1;
      else if (message.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return {
      ...queue.attributes,
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(queue.modifiedAt / 1000)),
    };
  }

  /** Every message still in a queue, oldest first (copies), whatever its visibility. */
  messages(nameOrUrl: string): EmulatedMessage[] {
    const queue = this.queue(nameOrUrl);
    this.expire(queue);
    const at = this.now();
    return queue.messages.map((message) => ({
      messageId: message.messageId,
      body: message.body,
      messageAttributes: copyAttributes(message.messageAttributes),
      receiveCount: message.receiveCount,
      sentAt: message.sentAt,
      state: message.visibleAt <= at ? 'visible' : message.receiveCount > 0 ? 'in-flight' : 'delayed',
      ...(message.messageGroupId !== undefined ? { messageGroupId: message.messageGroupId } : {}),
      ...(message.messageDeduplicationId !== undefined ? { messageDeduplicationId: message.messageDeduplicationId } : {}),
      ...(message.deadLetterQueueSourceArn !== undefined ? { deadLetterQueueSourceArn: message.deadLetterQueueSourceArn } : {}),
    }));
  }

  /** SendMessage: returns the message id, the body's MD5 and (FIFO) the sequence number. */
  sendMessage(
    queueUrl: string,
    body: string,
    options: {
      delaySeconds?: number;
      messageAttributes?: Record<string, SqsMessageAttribute>;
      messageGroupId?: string;
      messageDeduplicationId?: string;
    } = {},
  ): { messageId: string; md5OfMessageBody: string; md5OfMessageAttributes?: string; sequenceNumber?: string } {
    this.changed();
    const queue = this.queue(queueUrl);
    if (typeof body !== 'string' || body.length === 0) throw new SqsEmulatorError('MissingParameter', 'The request must contain the parameter MessageBody.');
    const attributes = options.messageAttributes ?? {};
    validateMessageAttributes(attributes);
    const size = Buffer.byteLength(body) + attributesSize(attributes);
    if (size > Number(queue.attributes.MaximumMessageSize)) {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${queue.attributes.MaximumMessageSize} bytes.`,
      );
    }
    const delaySeconds = options.delaySeconds ?? Number(queue.attributes.DelaySeconds);
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
      throw new SqsEmulatorError('InvalidParameterValue', 'DelaySeconds must be an integer from 0 to 900');
    }
    let deduplicationId = options.messageDeduplicationId;
    if (queue.fifo) {
      if (!options.messageGroupId) throw new SqsEmulatorError('MissingParameter', 'The request must contain the parameter MessageGroupId.');
      if (options.delaySeconds) throw new SqsEmulatorError('InvalidParameterValue', 'FIFO queues do not support per-message delays');
      if (!deduplicationId) {
        if (queue.attributes.ContentBasedDeduplication !== 'true') {
          throw new SqsEmulatorError(
            'InvalidParameterValue',
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        deduplicationId = createHash('sha256').update(body).digest('hex');
      }
    } else if (deduplicationId !== undefined) {
      throw new SqsEmulatorError('InvalidParameterValue', 'The request include parameter MessageDeduplicationId that is not valid for this queue type');
    }
    const at = this.now();
    const md5OfMessageBody = md5(body);
    const md5OfMessageAttributes = Object.keys(attributes).length > 0 ? md5OfAttributes(attributes) : undefined;
    if (queue.fifo && deduplicationId) {
      const seen = queue.deduplication.get(deduplicationId);
      if (seen && at - seen.at < DEDUPLICATION_WINDOW_MS) {
        return {
          messageId: seen.messageId,
          md5OfMessageBody,
          ...(md5OfMessageAttributes ? { md5OfMessageAttributes } : {}),
          sequenceNumber: seen.sequenceNumber,
        };
      }
    }
    this.sequence += 1n;
    const sequenceNumber = queue.fifo ? this.sequence.toString().padStart(20, '0') : undefined;
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5OfMessageBody,
      messageAttributes: copyAttributes(attributes),
      ...(md5OfMessageAttributes ? { md5OfMessageAttributes } : {}),
      sentAt: at,
      visibleAt: at + delaySeconds * 1000,
      receiveCount: 0,
      receiptHandles: [],
      ...(options.messageGroupId !== undefined ? { messageGroupId: options.messageGroupId } : {}),
      ...(deduplicationId !== undefined ? { messageDeduplicationId: deduplicationId } : {}),
      ...(sequenceNumber ? { sequenceNumber } : {}),
    };
    queue.messages.push(message);
    if (queue.fifo && deduplicationId && sequenceNumber) queue.deduplication.set(deduplicationId, { at, messageId: message.messageId, sequenceNumber });
    return {
      messageId: message.messageId,
      md5OfMessageBody,
      ...(md5OfMessageAttributes ? { md5OfMessageAttributes } : {}),
      ...(sequenceNumber ? { sequenceNumber } : {}),
    };
  }

  /**
   * ReceiveMessage without waiting: up to `maxNumberOfMessages` visible messages, each made
   * invisible for the visibility timeout and its receive count incremented. A message already
   * received maxReceiveCount times (redrive policy) moves to the dead-letter queue instead.
   */
  receive(queueUrl: string, options: { maxNumberOfMessages?: number; visibilityTimeoutSeconds?: number } = {}): EmulatedReceivedMessage[] {
    this.changed();
    const queue = this.queue(queueUrl);
    const max = options.maxNumberOfMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const visibilitySeconds = options.visibilityTimeoutSeconds ?? Number(queue.attributes.VisibilityTimeout);
    if (!Number.isInteger(visibilitySeconds) || visibilitySeconds < 0 || visibilitySeconds > 43_200) {
      throw new SqsEmulatorError('InvalidParameterValue', 'VisibilityTimeout must be an integer from 0 to 43200');
    }
    this.expire(queue);
    const at = this.now();
    const redrive = this.redrivePolicy(queue);
    const busyGroups = new Set(
      queue.fifo ? queue.messages.filter((message) => message.visibleAt > at && message.receiveCount > 0).map((message) => message.messageGroupId) : [],
    );
    const received: EmulatedReceivedMessage[] = [];
    for (const message of [...queue.messages]) {
      if (received.length >= max) break;
      if (message.visibleAt > at) continue;
      if (queue.fifo && busyGroups.has(message.messageGroupId)) continue;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        this.moveToDeadLetterQueue(queue, message, redrive.target, at);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= at;
      message.visibleAt = at + visibilitySeconds * 1000;
      if (this.duplicateBudget > 0) {
        this.duplicateBudget -= 1;
        queue.messages.splice(queue.messages.indexOf(message) + 1, 0, { ...message, visibleAt: at, receiptHandles: [] });
      }
      const receiptHandle = Buffer.from(`${queue.name}:${message.messageId}:${randomUUID()}`).toString('base64url');
      message.receiptHandles.push(receiptHandle);
      this.handleOwners.set(receiptHandle, { queue, entry: message });
      if (queue.fifo) busyGroups.add(message.messageGroupId);
      received.push({
        messageId: message.messageId,
        receiptHandle,
        body: message.body,
        md5OfBody: message.md5OfBody,
        ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
        attributes: systemAttributes(message),
        messageAttributes: copyAttributes(message.messageAttributes),
      });
    }
    return received;
  }

  /** ReceiveMessage with long polling: waits up to `waitTimeSeconds` (real time) for a message. */
  async receiveWaiting(
    queueUrl: string,
    options: { maxNumberOfMessages?: number; visibilityTimeoutSeconds?: number; waitTimeSeconds?: number } = {},
  ): Promise<EmulatedReceivedMessage[]> {
    const queue = this.queue(queueUrl);
    const waitSeconds = options.waitTimeSeconds ?? Number(queue.attributes.ReceiveMessageWaitTimeSeconds);
    if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 20) {
      throw new SqsEmulatorError('InvalidParameterValue', 'WaitTimeSeconds must be an integer from 0 to 20');
    }
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const received = this.receive(queueUrl, options);
      if (received.length > 0 || Date.now() >= deadline) return received;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  /**
   * DeleteMessage with any handle ever issued for the message. Deleting again, or with the handle
   * of an earlier delivery, succeeds as in SQS; a handle never issued is ReceiptHandleIsInvalid.
   */
  deleteMessage(queueUrl: string, receiptHandle: string): void {
    this.changed();
    const queue = this.queue(queueUrl);
    const owner = this.handleOwners.get(receiptHandle);
    if (!owner || owner.queue !== queue)
      throw new SqsEmulatorError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    const index = queue.messages.indexOf(owner.entry);
    if (index >= 0) queue.messages.splice(index, 1);
  }

  /**
   * At-least-once delivery on demand: each of the next `count` messages received leaves a copy
   * behind that survives the first delivery's delete, so the next receive hands the same message
   * out again (same MessageId, new receipt handle, receive count + 1), as SQS occasionally does.
   */
  duplicateNextDeliveries(count = 1): void {
    this.duplicateBudget += count;
  }

  /** ChangeMessageVisibility: only for the newest handle of a message in flight. */
  changeMessageVisibility(queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    this.changed();
    const queue = this.queue(queueUrl);
    if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < 0 || visibilityTimeoutSeconds > 43_200) {
      throw new SqsEmulatorError('InvalidParameterValue', 'VisibilityTimeout must be an integer from 0 to 43200');
    }
    const owner = this.handleOwners.get(receiptHandle);
    const message = owner && owner.queue === queue && queue.messages.includes(owner.entry) ? owner.entry : undefined;
    if (!message) throw new SqsEmulatorError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    const at = this.now();
    if (message.visibleAt <= at || message.receiptHandles.at(-1) !== receiptHandle) {
      throw new SqsEmulatorError('MessageNotInflight', 'The message referred to is not in flight.');
    }
    message.visibleAt = at + visibilityTimeoutSeconds * 1000;
  }

  /** Drop every message of a queue (PurgeQueue). */
  purgeQueue(queueUrl: string): void {
    this.changed();
    this.queue(queueUrl).messages.length = 0;
  }

  /**
   * StartMessageMoveTask: move the messages of a dead-letter queue (a queue some queue's RedrivePolicy names) back to
   * the queue each was dead-lettered from, or all to `destinationArn` (a queue of the same type). Returns the task
   * handle. Asynchronous as in SQS: messages move oldest first, at `maxNumberOfMessagesPerSecond` (1–500; unset: 500)
   * in real time, as new messages (new MessageId, sent now, receive count 0) keeping body and message attributes.
   * Only one task may be active per source queue. Without a destination, a message that was sent to the DLQ directly
   * (SendMessage) fails the task with FailureReason CouldNotDetermineMessageSource, as in SQS; a queue that is gone
   * fails it with AWS.SimpleQueueService.NonExistentQueue. Messages moved before that stay moved.
   */
  startMessageMoveTask(sourceArn: string, options: { destinationArn?: string; maxNumberOfMessagesPerSecond?: number } = {}): string {
    checkQueueArn(sourceArn, 'SourceArn');
    const source = this.queueByArn(sourceArn);
    if (!source) throw new SqsEmulatorError('ResourceNotFoundException', "The resource that you specified for the SourceArn parameter doesn't exist.");
    const rate = options.maxNumberOfMessagesPerSecond;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > MAX_MOVE_RATE)) {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        `Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and ${MAX_MOVE_RATE}, if provided.`,
      );
    }
    if (!this.isDeadLetterQueue(sourceArn)) throw new SqsEmulatorError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.');
    if (options.destinationArn !== undefined) {
      checkQueueArn(options.destinationArn, 'DestinationArn');
      if (options.destinationArn === sourceArn)
        throw new SqsEmulatorError('InvalidParameterValue', 'Source queue arn and destination queue arn cannot be the same.');
      const destination = this.queueByArn(options.destinationArn);
      if (!destination)
        throw new SqsEmulatorError('ResourceNotFoundException', "The resource that you specified for the DestinationArn parameter doesn't exist.");
      if (destination.fifo !== source.fifo) {
        throw new SqsEmulatorError('InvalidParameterValue', 'The destination queue must be of the same type as the source queue (standard or FIFO).');
      }
    }
    if (this.moveTasks.some((task) => task.sourceArn === sourceArn && (task.status === 'RUNNING' || task.status === 'CANCELLING'))) {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    this.changed();
    this.expire(source);
    const at = this.now();
    const task: StoredMoveTask = {
      taskHandle: Buffer.from(JSON.stringify({ taskId: randomUUID(), sourceArn })).toString('base64'),
      sourceArn,
      ...(options.destinationArn !== undefined ? { destinationArn: options.destinationArn } : {}),
      ...(rate !== undefined ? { maxNumberOfMessagesPerSecond: rate } : {}),
      status: 'RUNNING',
      moved: 0,
      toMove: source.messages.filter((message) => message.visibleAt <= at).length,
      startedAt: at,
    };
    this.moveTasks.push(task);
    // SQS lists the 10 most recent tasks of a queue; older finished ones are forgotten (and not persisted).
    const ofSource = this.moveTasks.filter((candidate) => candidate.sourceArn === sourceArn);
    for (const old of ofSource.slice(0, Math.max(0, ofSource.length - MAX_LISTED_MOVE_TASKS))) this.moveTasks.splice(this.moveTasks.indexOf(old), 1);
    this.runMoveTask(task);
    return task.taskHandle;
  }

  /** ListMessageMoveTasks: the most recent tasks of a source queue, newest first (`maxResults` 1–10, default 1). */
  listMessageMoveTasks(sourceArn: string, maxResults = 1): MessageMoveTask[] {
    checkQueueArn(sourceArn, 'SourceArn');
    if (!this.queueByArn(sourceArn))
      throw new SqsEmulatorError('ResourceNotFoundException', "The resource that you specified for the SourceArn parameter doesn't exist.");
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_LISTED_MOVE_TASKS) {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        `Value ${maxResults} for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and ${MAX_LISTED_MOVE_TASKS}.`,
      );
    }
    return this.moveTasks
      .filter((task) => task.sourceArn === sourceArn)
      .reverse()
      .slice(0, maxResults)
      .map((task) => ({
        ...(task.status === 'RUNNING' ? { taskHandle: task.taskHandle } : {}),
        status: task.status,
        sourceArn: task.sourceArn,
        ...(task.destinationArn !== undefined ? { destinationArn: task.destinationArn } : {}),
        ...(task.maxNumberOfMessagesPerSecond !== undefined ? { maxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond } : {}),
        approximateNumberOfMessagesMoved: task.moved,
        approximateNumberOfMessagesToMove: task.toMove,
        ...(task.failureReason !== undefined ? { failureReason: task.failureReason } : {}),
        startedTimestamp: task.startedAt,
      }));
  }

  /**
   * CancelMessageMoveTask: stop a RUNNING task (messages already moved stay moved); returns how many were moved.
   * An unknown handle is ResourceNotFoundException; a task that is no longer running cannot be cancelled.
   */
  cancelMessageMoveTask(taskHandle: string): number {
    const task = this.moveTasks.find((candidate) => candidate.taskHandle === taskHandle);
    if (!task) throw new SqsEmulatorError('ResourceNotFoundException', 'Task does not exist.');
    if (task.status !== 'RUNNING') throw new SqsEmulatorError('UnsupportedOperation', `Only a RUNNING task can be cancelled; this one is ${task.status}.`);
    this.finishMoveTask(task, 'CANCELLED');
    return task.moved;
  }

  /** Resolves once no message movement task is running (at once when none is). */
  messageMoveTasksIdle(): Promise<void> {
    if (!this.moveTasks.some((task) => task.status === 'RUNNING')) return Promise.resolve();
    return new Promise((resolve) => this.moveIdleWaiters.add(resolve));
  }

  private runMoveTask(task: StoredMoveTask): void {
    const rate = task.maxNumberOfMessagesPerSecond ?? MAX_MOVE_RATE;
    const resumedAt = Date.now();
    const movedBefore = task.moved;
    const step = () => {
      // Stopped (close) or finished: nothing more to move.
      if (task.status !== 'RUNNING' || !this.moveTimers.has(task.taskHandle)) return;
      // One message at once, then `rate` a second: by now this many may have moved.
      const allowed = Math.min(task.toMove, movedBefore + 1 + Math.floor((rate * (Date.now() - resumedAt)) / 1000));
      try {
        while (task.moved < allowed) {
          if (!this.moveOneMessage(task)) break;
        }
      } catch (error) {
        // Never thrown out of a timer: anything unexpected fails the task, with its message as the reason.
        this.finishMoveTask(task, 'FAILED', error instanceof MoveTaskFailure ? error.reason : error instanceof Error ? error.message : String(error));
        return;
      }
      if (task.moved >= task.toMove || !this.hasVisibleMessage(task.sourceArn)) this.finishMoveTask(task, 'COMPLETED');
    };
    const timer = setInterval(step, MOVE_TICK_MS);
    // A running redrive must not keep a test run or a stopping stack alive.
    timer.unref();
    this.moveTimers.set(task.taskHandle, timer);
    setImmediate(step);
  }

  /** Move the oldest visible message of the task's source queue; false when there is none (or the source is gone). */
  private moveOneMessage(task: StoredMoveTask): boolean {
    const source = this.queueByArn(task.sourceArn);
    if (!source) throw new MoveTaskFailure(NON_EXISTENT_QUEUE);
    this.expire(source);
    const at = this.now();
    const message = source.messages.find((candidate) => candidate.visibleAt <= at);
    if (!message) return false;
    // A message sent to the DLQ with SendMessage (not moved there by a redrive policy) has no source queue to go back
    // to: SQS fails the task with CouldNotDetermineMessageSource, and a DestinationArn is needed.
    const destinationArn = task.destinationArn ?? message.deadLetterQueueSourceArn;
    if (destinationArn === undefined) throw new MoveTaskFailure(COULD_NOT_DETERMINE_MESSAGE_SOURCE);
    const destination = this.queueByArn(destinationArn);
    if (!destination) throw new MoveTaskFailure(NON_EXISTENT_QUEUE);
    this.changed();
    source.messages.splice(source.messages.indexOf(message), 1);
    // "All redriven messages are considered new messages and are assigned a new messageID and enqueueTime": body,
    // message attributes (and a FIFO message's group) are kept; receive count, handles and the DLQ source are not.
    this.sequence += 1n;
    const moved: StoredMessage = {
      messageId: randomUUID(),
      body: message.body,
      md5OfBody: message.md5OfBody,
      messageAttributes: copyAttributes(message.messageAttributes),
      ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
      sentAt: at,
      visibleAt: at + Number(destination.attributes.DelaySeconds) * 1000,
      receiveCount: 0,
      receiptHandles: [],
      ...(message.messageGroupId !== undefined ? { messageGroupId: message.messageGroupId } : {}),
      ...(destination.fifo
        ? { messageDeduplicationId: message.messageDeduplicationId ?? message.messageId, sequenceNumber: this.sequence.toString().padStart(20, '0') }
        : {}),
    };
    destination.messages.push(moved);
    task.moved += 1;
    return true;
  }

  private finishMoveTask(task: StoredMoveTask, status: Exclude<MessageMoveTaskStatus, 'RUNNING'>, failureReason?: string): void {
    this.changed();
    task.status = status;
    if (failureReason !== undefined) task.failureReason = failureReason;
    clearInterval(this.moveTimers.get(task.taskHandle));
    this.moveTimers.delete(task.taskHandle);
    if (!this.moveTasks.some((candidate) => candidate.status === 'RUNNING')) {
      for (const resolve of this.moveIdleWaiters) resolve();
      this.moveIdleWaiters.clear();
    }
  }

  private hasVisibleMessage(queueArn: string): boolean {
    const queue = this.queueByArn(queueArn);
    const at = this.now();
    return queue !== undefined && queue.messages.some((message) => message.visibleAt <= at);
  }

  private queueByArn(arn: string): QueueState | undefined {
    return [...this.queues.values()].find((queue) => queue.arn === arn);
  }

  private isDeadLetterQueue(arn: string): boolean {
    return [...this.queues.values()].some((queue) => {
      try {
        return this.redrivePolicy(queue)?.target.arn === arn;
      } catch {
        return false;
      }
    });
  }

  /**
   * The request-level checks of a batch call, in the order SQS makes them: entries present, at most 10, each Id
   * well-formed, Ids distinct. Returns the entries as objects.
   */
  private batchEntries(input: Record<string, unknown>, operation: string): Array<Record<string, unknown>> {
    const entries = input.Entries;
    if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
      throw new SqsEmulatorError('EmptyBatchRequest', `There should be at least one ${operation}RequestEntry in the request.`);
    }
    if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'object' || entry === null || Array.isArray(entry))) {
      throw new SqsEmulatorError('InvalidParameterValue', 'Entries must be a list of entries');
    }
    if (entries.length > MAX_BATCH_ENTRIES) {
      throw new SqsEmulatorError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const seen = new Set<string>();
    for (const entry of entries as Array<Record<string, unknown>>) {
      const id = entry.Id;
      if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) {
        throw new SqsEmulatorError(
          'InvalidBatchEntryId',
          'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
        );
      }
      if (seen.has(id)) throw new SqsEmulatorError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      seen.add(id);
    }
    return entries as Array<Record<string, unknown>>;
  }

  /** Run each entry of a batch; an SQS error of one entry is that entry's BatchResultErrorEntry, the others go on. */
  private eachEntry<T>(
    entries: Array<Record<string, unknown>>,
    run: (entry: Record<string, unknown>) => T,
  ): { Successful: T[]; Failed: Array<Record<string, unknown>> } {
    const Successful: T[] = [];
    const Failed: Array<Record<string, unknown>> = [];
    for (const entry of entries) {
      try {
        Successful.push(run(entry));
      } catch (error) {
        if (!(error instanceof SqsEmulatorError)) throw error;
        const { status, queryCode } = SQS_ERRORS[error.errorType];
        Failed.push({ Id: entry.Id, SenderFault: status < 500, Code: queryCode, Message: error.message });
      }
    }
    return { Successful, Failed };
  }

  protected async route(request: RouteRequest): Promise<EmulatorResponse> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith('AmazonSQS.')) {
      return errorAnswer('UnsupportedOperation', `Expected POST / with X-Amz-Target: AmazonSQS.<Operation>, got ${request.method} ${request.path} ${target}`);
    }
    const input = jsonObjectBody(request);
    if (!input) return errorAnswer('InvalidParameterValue', 'The request body is not a JSON object');
    try {
      const output = await this.operate(target.slice('AmazonSQS.'.length), input);
      return { kind: 'json', status: 200, body: output, headers: { 'content-type': 'application/x-amz-json-1.0' } };
    } catch (error) {
      if (error instanceof SqsEmulatorError) return errorAnswer(error.errorType, error.message);
      throw error;
    }
  }

  private async operate(operation: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (operation) {
      case 'CreateQueue':
        return { QueueUrl: this.createQueue(requiredString(input, 'QueueName'), stringMap(input.Attributes, 'Attributes')) };
      case 'GetQueueUrl':
        return { QueueUrl: this.queueUrl(requiredString(input, 'QueueName')) };
      case 'GetQueueAttributes': {
        const all = this.queueAttributes(requiredString(input, 'QueueUrl'));
        const names = stringList(input.AttributeNames, 'AttributeNames');
        if (names.length === 0) return {};
        if (names.includes('All')) return { Attributes: all };
        const picked: Record<string, string> = {};
        for (const name of names) {
          if (!KNOWN_QUEUE_ATTRIBUTES.has(name)) throw new SqsEmulatorError('InvalidAttributeName', `Unknown Attribute ${name}.`);
          if (all[name] !== undefined) picked[name] = all[name];
        }
        return { Attributes: picked };
      }
      case 'SetQueueAttributes':
        this.setQueueAttributes(requiredString(input, 'QueueUrl'), stringMap(input.Attributes, 'Attributes'));
        return {};
      case 'SendMessage': {
        const sent = this.sendMessage(requiredString(input, 'QueueUrl'), requiredString(input, 'MessageBody'), {
          ...(input.DelaySeconds !== undefined ? { delaySeconds: input.DelaySeconds as number } : {}),
          messageAttributes: wireAttributesIn(input.MessageAttributes),
          ...(typeof input.MessageGroupId === 'string' ? { messageGroupId: input.MessageGroupId } : {}),
          ...(typeof input.MessageDeduplicationId === 'string' ? { messageDeduplicationId: input.MessageDeduplicationId } : {}),
        });
        return {
          MessageId: sent.messageId,
          MD5OfMessageBody: sent.md5OfMessageBody,
          ...(sent.md5OfMessageAttributes ? { MD5OfMessageAttributes: sent.md5OfMessageAttributes } : {}),
          ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
        };
      }
      case 'ReceiveMessage': {
        const received = await this.receiveWaiting(requiredString(input, 'QueueUrl'), {
          ...(input.MaxNumberOfMessages !== undefined ? { maxNumberOfMessages: input.MaxNumberOfMessages as number } : {}),
          ...(input.VisibilityTimeout !== undefined ? { visibilityTimeoutSeconds: input.VisibilityTimeout as number } : {}),
          ...(input.WaitTimeSeconds !== undefined ? { waitTimeSeconds: input.WaitTimeSeconds as number } : {}),
        });
        const systemNames = [
          ...stringList(input.AttributeNames, 'AttributeNames'),
          ...stringList(input.MessageSystemAttributeNames, 'MessageSystemAttributeNames'),
        ];
        const attributeNames = stringList(input.MessageAttributeNames, 'MessageAttributeNames');
        // SQS leaves Messages out of an empty receive rather than sending [].
        return received.length === 0 ? {} : { Messages: received.map((message) => wireMessageOut(message, systemNames, attributeNames)) };
      }
      case 'DeleteMessage':
        this.deleteMessage(requiredString(input, 'QueueUrl'), requiredString(input, 'ReceiptHandle'));
        return {};
      case 'ChangeMessageVisibility':
        if (typeof input.VisibilityTimeout !== 'number')
          throw new SqsEmulatorError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
        this.changeMessageVisibility(requiredString(input, 'QueueUrl'), requiredString(input, 'ReceiptHandle'), input.VisibilityTimeout);
        return {};
      case 'PurgeQueue':
        this.purgeQueue(requiredString(input, 'QueueUrl'));
        return {};
      case 'SendMessageBatch': {
        const queueUrl = requiredString(input, 'QueueUrl');
        this.queue(queueUrl);
        const entries = this.batchEntries(input, operation);
        const payload = entries.reduce((sum, entry) => {
          const body = typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody) : 0;
          return sum + body + attributesSize(wireAttributesIn(entry.MessageAttributes));
        }, 0);
        if (payload > MAX_BATCH_PAYLOAD_BYTES) {
          throw new SqsEmulatorError(
            'BatchRequestTooLong',
            `Batch requests cannot be longer than ${MAX_BATCH_PAYLOAD_BYTES} bytes. You have sent ${payload} bytes.`,
          );
        }
        return this.eachEntry(entries, (entry) => {
          const sent = this.sendMessage(queueUrl, requiredString(entry, 'MessageBody'), {
            ...(entry.DelaySeconds !== undefined && entry.DelaySeconds !== null ? { delaySeconds: entry.DelaySeconds as number } : {}),
            messageAttributes: wireAttributesIn(entry.MessageAttributes),
            ...(typeof entry.MessageGroupId === 'string' ? { messageGroupId: entry.MessageGroupId } : {}),
            ...(typeof entry.MessageDeduplicationId === 'string' ? { messageDeduplicationId: entry.MessageDeduplicationId } : {}),
          });
          return {
            Id: entry.Id,
            MessageId: sent.messageId,
            MD5OfMessageBody: sent.md5OfMessageBody,
            ...(sent.md5OfMessageAttributes ? { MD5OfMessageAttributes: sent.md5OfMessageAttributes } : {}),
            ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
          };
        });
      }
      case 'DeleteMessageBatch': {
        const queueUrl = requiredString(input, 'QueueUrl');
        this.queue(queueUrl);
        return this.eachEntry(this.batchEntries(input, operation), (entry) => {
          this.deleteMessage(queueUrl, requiredString(entry, 'ReceiptHandle'));
          return { Id: entry.Id };
        });
      }
      case 'ChangeMessageVisibilityBatch': {
        const queueUrl = requiredString(input, 'QueueUrl');
        this.queue(queueUrl);
        return this.eachEntry(this.batchEntries(input, operation), (entry) => {
          if (typeof entry.VisibilityTimeout !== 'number')
            throw new SqsEmulatorError('MissingParameter', 'The request must contain the parameter VisibilityTimeout.');
          this.changeMessageVisibility(queueUrl, requiredString(entry, 'ReceiptHandle'), entry.VisibilityTimeout);
          return { Id: entry.Id };
        });
      }
      case 'StartMessageMoveTask': {
        const rate = input.MaxNumberOfMessagesPerSecond;
        const destination = input.DestinationArn;
        if (rate !== undefined && rate !== null && typeof rate !== 'number')
          throw new SqsEmulatorError('InvalidParameterValue', 'MaxNumberOfMessagesPerSecond must be a number');
        if (destination !== undefined && destination !== null && typeof destination !== 'string')
          throw new SqsEmulatorError('InvalidParameterValue', 'DestinationArn must be a string');
        const taskHandle = this.startMessageMoveTask(requiredString(input, 'SourceArn'), {
          ...(typeof destination === 'string' && destination !== '' ? { destinationArn: destination } : {}),
          ...(typeof rate === 'number' ? { maxNumberOfMessagesPerSecond: rate } : {}),
        });
        return { TaskHandle: taskHandle };
      }
      case 'ListMessageMoveTasks': {
        const maxResults = input.MaxResults;
        if (maxResults !== undefined && maxResults !== null && typeof maxResults !== 'number')
          throw new SqsEmulatorError('InvalidParameterValue', 'MaxResults must be a number');
        const tasks = this.listMessageMoveTasks(requiredString(input, 'SourceArn'), typeof maxResults === 'number' ? maxResults : 1);
        return {
          Results: tasks.map((task) => ({
            ...(task.taskHandle !== undefined ? { TaskHandle: task.taskHandle } : {}),
            Status: task.status,
            SourceArn: task.sourceArn,
            ...(task.destinationArn !== undefined ? { DestinationArn: task.destinationArn } : {}),
            ...(task.maxNumberOfMessagesPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond } : {}),
            ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved,
            ApproximateNumberOfMessagesToMove: task.approximateNumberOfMessagesToMove,
            ...(task.failureReason !== undefined ? { FailureReason: task.failureReason } : {}),
            StartedTimestamp: task.startedTimestamp,
          })),
        };
      }
      case 'CancelMessageMoveTask':
        return { ApproximateNumberOfMessagesMoved: this.cancelMessageMoveTask(requiredString(input, 'TaskHandle')) };
      default:
        throw new SqsEmulatorError('UnsupportedOperation', `The emulator does not implement ${operation}`);
    }
  }

  private queue(nameOrUrl: string): QueueState {
    const name = nameOrUrl.includes('/') ? (safePathName(nameOrUrl) ?? '') : nameOrUrl;
    const queue = this.queues.get(name);
    if (!queue) throw new SqsEmulatorError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  private validateAttributes(attributes: Record<string, string>, fifo: boolean): Record<string, string> {
    const validated: Record<string, string> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (!SETTABLE_ATTRIBUTES.has(name)) throw new SqsEmulatorError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      const limits = NUMERIC_LIMITS[name];
      if (limits) {
        const number = Number(value);
        if (!/^\d+$/.test(value) || number < limits[0] || number > limits[1]) {
          throw new SqsEmulatorError('InvalidAttributeValue', `Invalid value for the parameter ${name}.`);
        }
      }
      if ((name === 'FifoQueue' || name === 'ContentBasedDeduplication') && !fifo && value === 'true') {
        throw new SqsEmulatorError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      if (name === 'RedrivePolicy' && value !== '') this.parseRedrivePolicy(value, fifo);
      validated[name] = value;
    }
    return validated;
  }

  private parseRedrivePolicy(value: string, fifo: boolean): { target: QueueState; maxReceiveCount: number } {
    let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    try {
      policy = JSON.parse(value) as typeof policy;
    } catch {
      throw new SqsEmulatorError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Invalid JSON.');
    }
    const maxReceiveCount = Number(policy.maxReceiveCount);
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new SqsEmulatorError(
        'InvalidAttributeValue',
        'Value for parameter RedrivePolicy is invalid. Reason: maxReceiveCount must be an integer from 1 to 1000.',
      );
    }
    const target = [...this.queues.values()].find((queue) => queue.arn === policy.deadLetterTargetArn);
    if (!target)
      throw new SqsEmulatorError('InvalidAttributeValue', 'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.');
    if (target.fifo !== fifo)
      throw new SqsEmulatorError(
        'InvalidAttributeValue',
        'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be of the same type as the source queue.',
      );
    return { target, maxReceiveCount };
  }

  private redrivePolicy(queue: QueueState): { target: QueueState; maxReceiveCount: number } | undefined {
    const value = queue.attributes.RedrivePolicy;
    return value ? this.parseRedrivePolicy(value, queue.fifo) : undefined;
  }

  private moveToDeadLetterQueue(queue: QueueState, message: StoredMessage, target: QueueState, at: number): void {
    queue.messages.splice(queue.messages.indexOf(message), 1);
    target.messages.push({ ...message, visibleAt: at, receiptHandles: [], deadLetterQueueSourceArn: queue.arn });
  }

  private expire(queue: QueueState): void {
    this.changed();
    const oldest = this.now() - Number(queue.attributes.MessageRetentionPeriod) * 1000;
    for (let i = queue.messages.length - 1; i >= 0; i -= 1) {
      const message = queue.messages[i];
      if (message && message.sentAt <= oldest) queue.messages.splice(i, 1);
    }
  }
}

const KNOWN_QUEUE_ATTRIBUTES = new Set([
  ...SETTABLE_ATTRIBUTES,
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'RedriveAllowPolicy',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

function wireError(errorType: SqsErrorType, message: string) {
  const { status, queryCode } = SQS_ERRORS[errorType];
  return {
    errorType,
    status,
    message,
    // JSON 1.0 names the shape in __type; query-compatible clients read the legacy code from the header.
    fields: { __type: `com.amazonaws.sqs#${errorType}`, message },
    headers: { 'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`, 'content-type': 'application/x-amz-json-1.0' },
  };
}

function errorAnswer(errorType: SqsErrorType, message: string): EmulatorResponse {
  return { kind: 'error', error: wireError(errorType, message) };
}

/** An SQS queue ARN, `arn:<partition>:sqs:<region>:<account-id>:<queue name>`, or InvalidParameterValue naming the parameter. */
function checkQueueArn(arn: string, parameter: string): void {
  if (!/^arn:[a-z-]+:sqs:[a-z0-9-]*:\d*:[A-Za-z0-9_.-]+$/.test(arn)) {
    throw new SqsEmulatorError(
      'InvalidParameterValue',
      `You must use this format to specify the ${parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`,
    );
  }
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string' || value.length === 0) throw new SqsEmulatorError('MissingParameter', `The request must contain the parameter ${name}.`);
  return value;
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.values(value).some((entry) => typeof entry !== 'string')) {
    throw new SqsEmulatorError('InvalidParameterValue', `${name} must be a map of strings`);
  }
  return value as Record<string, string>;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
    throw new SqsEmulatorError('InvalidParameterValue', `${name} must be a list of strings`);
  return value as string[];
}

function safePathName(url: string): string | undefined {
  try {
    return new URL(url).pathname.split('/').filter(Boolean).at(-1);
  } catch {
    return undefined;
  }
}

function wireAttributesIn(value: unknown): Record<string, SqsMessageAttribute> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SqsEmulatorError('InvalidParameterValue', 'MessageAttributes must be a map');
  const attributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, raw] of Object.entries(value as Record<string, Record<string, unknown>>)) {
    attributes[name] = {
      DataType: typeof raw?.DataType === 'string' ? raw.DataType : '',
      ...(typeof raw?.StringValue === 'string' ? { StringValue: raw.StringValue } : {}),
      ...(typeof raw?.BinaryValue === 'string' ? { BinaryValue: Buffer.from(raw.BinaryValue, 'base64') } : {}),
    };
  }
  return attributes;
}

function wireMessageOut(message: EmulatedReceivedMessage, systemNames: string[], attributeNames: string[]): Record<string, unknown> {
  const allSystem = systemNames.includes('All');
  const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => allSystem || systemNames.includes(name)));
  const wanted = (name: string) =>
    attributeNames.some(
      (pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  const messageAttributes = Object.fromEntries(
    Object.entries(message.messageAttributes)
      .filter(([name]) => wanted(name))
      .map(([name, attribute]) => [
        name,
        {
          DataType: attribute.DataType,
          ...(attribute.StringValue !== undefined ? { StringValue: attribute.StringValue } : {}),
          ...(attribute.BinaryValue !== undefined ? { BinaryValue: Buffer.from(attribute.BinaryValue).toString('base64') } : {}),
        },
      ]),
  );
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
    ...(Object.keys(messageAttributes).length > 0 ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
  };
}

function validateMessageAttributes(attributes: Record<string, SqsMessageAttribute>): void {
  const names = Object.keys(attributes);
  if (names.length > 10)
    throw new SqsEmulatorError('InvalidParameterValue', 'Number of message attributes [' + names.length + '] exceeds the allowed maximum [10].');
  for (const [name, attribute] of Object.entries(attributes)) {
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('AWS.') || name.startsWith('Amazon.')) {
      throw new SqsEmulatorError('InvalidParameterValue', `Message attribute name '${name}' is invalid.`);
    }
    const base = attribute.DataType.split('.')[0];
    if (base === 'String' || base === 'Number') {
      if (typeof attribute.StringValue !== 'string' || attribute.StringValue.length === 0) {
        throw new SqsEmulatorError(
          'InvalidParameterValue',
          `Message attribute '${name}' must contain a non-empty value of message attribute type '${attribute.DataType}'.`,
        );
      }
      if (base === 'Number' && !Number.isFinite(Number(attribute.StringValue))) {
        throw new SqsEmulatorError('InvalidParameterValue', `Can't cast the value of message attribute '${name}' to a number.`);
      }
    } else if (base === 'Binary') {
      if (!attribute.BinaryValue || attribute.BinaryValue.length === 0) {
        throw new SqsEmulatorError(
          'InvalidParameterValue',
          `Message attribute '${name}' must contain a non-empty value of message attribute type '${attribute.DataType}'.`,
        );
      }
    } else {
      throw new SqsEmulatorError(
        'InvalidParameterValue',
        `The type of message attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
  }
}

function attributesSize(attributes: Record<string, SqsMessageAttribute>): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    size +=
      Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType) + Buffer.byteLength(attribute.StringValue ?? '') + (attribute.BinaryValue?.length ?? 0);
  }
  return size;
}

function copyAttributes(attributes: Record<string, SqsMessageAttribute>): Record<string, SqsMessageAttribute> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, attribute]) => [
      name,
      { ...attribute, ...(attribute.BinaryValue ? { BinaryValue: Uint8Array.from(attribute.BinaryValue) } : {}) },
    ]),
  );
}

function systemAttributes(message: StoredMessage): Record<string, string> {
  return {
    SenderId: 'AIDAEMULATEDSENDER',
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    ...(message.messageGroupId !== undefined ? { MessageGroupId: message.messageGroupId } : {}),
    ...(message.messageDeduplicationId !== undefined ? { MessageDeduplicationId: message.messageDeduplicationId } : {}),
    ...(message.sequenceNumber !== undefined ? { SequenceNumber: message.sequenceNumber } : {}),
    ...(message.deadLetterQueueSourceArn !== undefined ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn } : {}),
  };
}

function md5(text: string | Uint8Array): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each encoded as
 * length-prefixed (4-byte big-endian) name, data type, then a transport byte (1 string, 2 binary)
 * and the length-prefixed value.
 */
export function md5OfAttributes(attributes: Record<string, SqsMessageAttribute>): string {
  const parts: Buffer[] = [];
  const prefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name] as SqsMessageAttribute;
    prefixed(Buffer.from(name, 'utf8'));
    prefixed(Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      prefixed(Buffer.from(attribute.BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      prefixed(Buffer.from(attribute.StringValue ?? '', 'utf8'));
    }
  }
  return md5(Buffer.concat(parts));
}
