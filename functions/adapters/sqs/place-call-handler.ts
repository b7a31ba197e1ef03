import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { DEAD_LETTER_CODE_ATTRIBUTE } from './sqs-alert-queue';
import { STATION_ID } from '../../core/camera-upload';
import { isInspectionId } from '../../core/inspection-keys';
import { handleAlertQueueMessage, type PlaceCallDependencies, type PlaceCallResult } from '../../core/place-operator-call';
import type { AlertQueueControl, AlertQueueMessage } from '../../core/ports/alert-queue';
import type { RequestObserver } from '../observability/observability';

/** What the place-call handler needs. */
export interface PlaceCallHandlerDependencies extends PlaceCallDependencies {
  queue: AlertQueueControl;
  observer?: Pick<RequestObserver, 'inspectionStarted' | 'inspectionFinished'>;
  /** Told how each delivery ended (the metrics). */
  onResult?: (result: PlaceCallResult) => void;
}

const inspectionId = z.string().refine(isInspectionId, 'not an inspection id');
const stationId = z.string().regex(STATION_ID);

/** The messages of the alert queue as the product publishes them (functions/core/ports/alert-queue.ts AlertQueueMessage). */
const alertQueueMessageSchema = z.union([
  z.object({
    kind: z.literal('alert').optional(),
    inspectionId,
    stationId,
    confidencePercent: z.number().min(0).max(100),
    foldedCount: z.number().int().min(0).optional(),
    foldedInspectionIds: z.array(inspectionId).max(5000).optional(),
    queuedAt: z.string().min(1),
  }),
  z.object({
    kind: z.literal('escalate'),
    inspectionId,
    stationId,
    fromStep: z.number().int().min(0).max(1000),
    reason: z.enum(['ack-timeout', 'calls-ended']),
    queuedAt: z.string().min(1),
  }),
  z.object({ kind: z.literal('cooldown-end'), stationId, dueAt: z.iso.datetime(), queuedAt: z.string().min(1) }),
]);

/**
 * The alert queue consumer (SQS event source, ReportBatchItemFailures): alerts (each starts at most one ladder),
 * ladder timers and cooldown ends. A message to retry is reported as a batch item failure after its visibility is set
 * to the backoff; a message that will never ring anyone (malformed, refused, capped, out of retries) is moved to the
 * dead-letter queue and deleted; the others are deleted. A failure of the handler's own dependencies fails only that
 * message, which SQS redelivers and, after maxReceiveCount, dead-letters by its redrive policy.
 *
 * Messages of different stations are handled at the same time and those of one station in order, so a station's first
 * anomaly never waits behind other stations' fold bookkeeping; Connect's own rate (about 2 calls a second) is the only
 * throttle on calls, absorbed by the SDK's retries and the queue's backoff.
 *
 * The partial batch response is Powertools Batch's (BatchProcessor, processPartialResponse); the backoff stays ours:
 * SQS's redrive only knows the visibility timeout, and an alert's retries need their own growing delay.
 */
export function createPlaceCallHandler(resolveDependencies: () => PlaceCallHandlerDependencies): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const deps = resolveDependencies();
    const records = event.Records ?? [];
    const inStationOrder = stationTurns();
    const recordHandler = (record: SQSRecord) =>
      inStationOrder(record, async () => {
        if (!(await handleMessage(deps, record))) throw new AlertMessageKept(record.messageId);
      });
    // A processor per invocation: it keeps the batch's records and failures on itself, so two overlapping invocations
    // of one handler (the local stack's pump, tests) cannot mix their batches.
    const { batchItemFailures } = await processPartialResponse({ Records: records }, recordHandler, new BatchProcessor(EventType.SQS), {
      // Every record starts at once; stationTurns holds each one until the previous message of its station is done.
      processInParallel: true,
      // A batch of nothing but retries is the backoff at work, not a broken function: every message is reported as an
      // item failure, as in a partial batch, instead of FullBatchFailureError failing the invocation (Errors metric,
      // the whole batch back after the visibility timeout).
      throwOnFullBatchFailure: false,
    });
    // The processor lists failures as they happen; answer in batch order, whichever station finished first.
    const position = new Map(records.map((record, index) => [record.messageId, index]));
    const inBatchOrder = [...batchItemFailures].sort((a, b) => (position.get(a.itemIdentifier) ?? 0) - (position.get(b.itemIdentifier) ?? 0));
    return { batchItemFailures: inBatchOrder };
  };
}

/** Thrown for a message that stays on the queue (a retry after its backoff, or a failed dependency), so the batch processor reports it. */
class AlertMessageKept extends Error {
  constructor(messageId: string) {
    super(`Alert message ${messageId} stays on the queue`);
    this.name = 'AlertMessageKept';
  }
}

/**
 * Runs each record's work after the previous record of its station (the `stationId` its body names) has finished.
 * BatchProcessor in parallel mode calls the record handler for every record, in batch order, before any of them
 * finishes, so stations go side by side and one station's messages one after another, in queue order. Chosen over a
 * processor per station group: one processPartialResponse call still owns the whole batch and its response.
 */
function stationTurns(): (record: SQSRecord, work: () => Promise<void>) => Promise<void> {
  const tails = new Map<string, Promise<void>>();
  return (record, work) => {
    const station = stationOf(record.body);
    const turn = (tails.get(station) ?? Promise.resolve()).then(work);
    // The next message of the station waits for this one to end, failed or not.
    tails.set(
      station,
      turn.catch(() => undefined),
    );
    return turn;
  };
}

/** The station a message body names (for ordering), or the body itself when it names none (a malformed message). */
function stationOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { stationId?: unknown };
    return typeof parsed.stationId === 'string' ? `station:${parsed.stationId}` : `body:${body}`;
  } catch {
    return `body:${body}`;
  }
}

/** Process one message; false when it must stay on the queue. */
async function handleMessage(deps: PlaceCallHandlerDependencies, record: SQSRecord): Promise<boolean> {
  const message = parseMessage(record.body);
  try {
    if (!message) {
      deps.logger.error('An alert message is not readable; it goes to the dead-letter queue', { messageId: record.messageId });
      await deps.queue.deadLetter(record.body, { code: 'MALFORMED_ALERT_MESSAGE', reason: 'The message is not an alert message.' });
      return true;
    }
    if ('inspectionId' in message) deps.observer?.inspectionStarted(message.inspectionId);
    const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
    // Only deadLetter() sets this attribute, so a message carrying it was moved back from the dead-letter queue.
    const redriven = record.messageAttributes?.[DEAD_LETTER_CODE_ATTRIBUTE] !== undefined;
    const result = await handleAlertQueueMessage(deps, { message, attempt, redriven });
    deps.onResult?.(result);
    if (result.result === 'retry') {
      deps.logger.warn('The alert will be retried', { messageId: record.messageId, delaySeconds: result.delaySeconds, reason: result.reason });
      await deps.queue.delayRedelivery(record.receiptHandle, result.delaySeconds);
      return false;
    }
    if (result.result === 'dead-letter') await deps.queue.deadLetter(record.body, { code: result.code, reason: result.reason });
    return true;
  } catch (error) {
    deps.logger.error('Processing an alert message failed; SQS will redeliver it', {
      messageId: record.messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    return false;
  } finally {
    if (message && 'inspectionId' in message) deps.observer?.inspectionFinished();
  }
}

function parseMessage(body: string): AlertQueueMessage | undefined {
  try {
    const parsed = alertQueueMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
