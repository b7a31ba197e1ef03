import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { createLambdaContext } from '../api-gateway-events';
import type { EmulatedReceivedMessage, SqsEmulator } from './sqs-emulator';

/**
 * Stand-in for the Lambda SQS event source mapping (dev and test only): receives batches from
 * the SQS emulator, invokes a handler with an `SQSEvent` shaped like Lambda's, and deletes what
 * the handler processed. With ReportBatchItemFailures (on by default, as waferwatch configures it)
 * the items named in `batchItemFailures` are left alone, so they become visible again after their
 * visibility timeout and count towards the redrive policy; a handler that throws, or a response
 * naming an item that is not in the batch, fails the whole batch, as Lambda does.
 */

/** A Lambda handler for SQS events (the `place-call` function's shape). */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined | null>;

export interface QueuePumpOptions {
  /** Messages per invocation, 1–10 (the mapping's BatchSize). Default 10. */
  batchSize?: number;
  /** Visibility timeout for received messages, seconds; default the queue's. */
  visibilityTimeoutSeconds?: number;
  /** Honour `batchItemFailures` (FunctionResponseTypes: ReportBatchItemFailures). Default true. */
  reportBatchItemFailures?: boolean;
  /** Stop after this many invocations, so a handler that always fails on a queue without redrive cannot spin forever. Default 100. */
  maxBatches?: number;
  functionName?: string;
  /** The function timeout the context counts down from. Default 30 s. */
  timeoutMs?: number;
  region?: string;
}

/** What one pump run did. */
export interface QueuePumpReport {
  /** Handler invocations. */
  batches: number;
  received: number;
  /** Messages deleted after the handler processed them. */
  deleted: number;
  /** Messages left in flight for redelivery (reported failures and whole failed batches). */
  failed: number;
  /** Errors the handler threw (each failed its whole batch). */
  handlerErrors: unknown[];
}

/**
 * Deliver every currently visible message of a queue to `handler`, batch by batch, until a
 * receive comes back empty (or `maxBatches`). Failed messages stay invisible for their
 * visibility timeout, so they are not delivered again within the same run unless it is 0.
 */
export async function pumpQueueToHandler(
  emulator: SqsEmulator,
  queueUrl: string,
  handler: SqsBatchHandler,
  options: QueuePumpOptions = {},
): Promise<QueuePumpReport> {
  const report: QueuePumpReport = { batches: 0, received: 0, deleted: 0, failed: 0, handlerErrors: [] };
  const batchSize = options.batchSize ?? 10;
  const maxBatches = options.maxBatches ?? 100;
  const region = options.region ?? 'us-east-1';
  const queueArn = emulator.queueArn(queueUrl);
  while (report.batches < maxBatches) {
    const messages = emulator.receive(queueUrl, {
      maxNumberOfMessages: batchSize,
      ...(options.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
    });
    if (messages.length === 0) break;
    report.batches += 1;
    report.received += messages.length;
    const event = toSqsEvent(messages, queueArn, region);
    const context = createLambdaContext(options.functionName ?? 'place-call', randomUUID(), options.timeoutMs ?? 30_000, region);
    let failedIds: Set<string>;
    try {
      const response = await handler(event, context);
      failedIds = options.reportBatchItemFailures === false ? new Set() : failedItems(response, messages);
    } catch (error) {
      report.handlerErrors.push(error);
      failedIds = new Set(messages.map((message) => message.messageId));
    }
    for (const message of messages) {
      if (failedIds.has(message.messageId)) {
        report.failed += 1;
        continue;
      }
      emulator.deleteMessage(queueUrl, message.receiptHandle);
      report.deleted += 1;
    }
  }
  return report;
}

/** Turn received messages into the `SQSEvent` Lambda would pass (SQSRecord shape of @types/aws-lambda). */
export function toSqsEvent(messages: EmulatedReceivedMessage[], queueArn: string, region = 'us-east-1'): SQSEvent {
  return { Records: messages.map((message) => toSqsRecord(message, queueArn, region)) };
}

function toSqsRecord(message: EmulatedReceivedMessage, queueArn: string, region: string): SQSRecord {
  const attributes = message.attributes;
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(message.messageAttributes)) {
    // Lambda spells message attributes in camelCase, with binary values base64-encoded.
    messageAttributes[name] = {
      dataType: attribute.DataType,
      ...(attribute.StringValue !== undefined ? { stringValue: attribute.StringValue } : {}),
      ...(attribute.BinaryValue !== undefined ? { binaryValue: Buffer.from(attribute.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...(attributes.SequenceNumber !== undefined ? { SequenceNumber: attributes.SequenceNumber } : {}),
      ...(attributes.MessageGroupId !== undefined ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId !== undefined ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.DeadLetterQueueSourceArn !== undefined ? { DeadLetterQueueSourceArn: attributes.DeadLetterQueueSourceArn } : {}),
    },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** The message ids a partial batch response reports as failed; an invalid response fails the whole batch. */
function failedItems(response: SQSBatchResponse | void | undefined | null, messages: EmulatedReceivedMessage[]): Set<string> {
  const all = new Set(messages.map((message) => message.messageId));
  if (response === undefined || response === null) return new Set();
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

/** A pump running in the background, for the local stack. */
export interface RunningQueuePump {
  /** Resolves after the next poll that found the queue empty of visible messages. */
  whenIdle(): Promise<void>;
  /** Stop polling; resolves once the batch in progress is finished. */
  stop(): Promise<void>;
  /** Totals since start. */
  totals(): QueuePumpReport;
}

/**
 * Poll a queue every `intervalMs` (default 200) and pump it to `handler`, like an event source
 * mapping that is always on. Handler errors are counted, not thrown; `onError` sees them.
 */
export function startQueuePump(
  emulator: SqsEmulator,
  queueUrl: string,
  handler: SqsBatchHandler,
  options: QueuePumpOptions & { intervalMs?: number; onError?: (error: unknown) => void } = {},
): RunningQueuePump {
  const totals: QueuePumpReport = { batches: 0, received: 0, deleted: 0, failed: 0, handlerErrors: [] };
  let stopped = false;
  // A waiter is released only by an empty poll that started after it was registered, so a message sent just before whenIdle() is never missed.
  let idleWaiters: Array<{ resolve: () => void; registeredAt: number }> = [];
  let cycles = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const cycle = async (): Promise<void> => {
    cycles += 1;
    const number = cycles;
    try {
      const report = await pumpQueueToHandler(emulator, queueUrl, handler, options);
      totals.batches += report.batches;
      totals.received += report.received;
      totals.deleted += report.deleted;
      totals.failed += report.failed;
      totals.handlerErrors.push(...report.handlerErrors);
      for (const error of report.handlerErrors) options.onError?.(error);
      if (report.received === 0) {
        const ready = idleWaiters.filter((waiter) => waiter.registeredAt < number);
        idleWaiters = idleWaiters.filter((waiter) => waiter.registeredAt >= number);
        for (const waiter of ready) waiter.resolve();
      }
    } catch (error) {
      options.onError?.(error);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = cycle().then(schedule);
    }, options.intervalMs ?? 200);
  };
  running = cycle().then(schedule);

  return {
    whenIdle: () => new Promise<void>((resolve) => idleWaiters.push({ resolve, registeredAt: cycles })),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      for (const waiter of idleWaiters) waiter.resolve();
      idleWaiters = [];
    },
    totals: () => ({ ...totals, handlerErrors: [...totals.handlerErrors] }),
  };
}
