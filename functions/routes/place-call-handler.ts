import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { DEAD_LETTER_CODE_ATTRIBUTE } from '../adapters/sqs-alert-queue';
import { STATION_ID } from '../core/camera-upload';
import { isInspectionId } from '../core/inspection-keys';
import { placeOperatorCall, type PlaceCallDependencies, type PlaceCallResult } from '../core/place-operator-call';
import type { AlertMessage } from '../core/ports';
import type { RequestObserver } from '../observability';

/** The queue operations the consumer needs besides what Lambda's event source mapping does (SqsAlertQueue). */
export interface AlertQueueControl {
  delayRedelivery(receiptHandle: string, delaySeconds: number): Promise<void>;
  deadLetter(body: string, failure: { code: string; reason: string }): Promise<void>;
}

/** What the place-call handler needs. */
export interface PlaceCallHandlerDependencies extends PlaceCallDependencies {
  queue: AlertQueueControl;
  observer?: Pick<RequestObserver, 'inspectionStarted' | 'inspectionFinished'>;
  /** Told how each delivery ended (the metrics). */
  onResult?: (result: PlaceCallResult) => void;
}

/** The alert message as the inspection functions publish it (functions/core/ports.ts AlertMessage). */
const alertMessageSchema = z.object({
  inspectionId: z.string().refine(isInspectionId, 'not an inspection id'),
  stationId: z.string().regex(STATION_ID),
  confidencePercent: z.number().min(0).max(100),
  foldedCount: z.number().int().min(0).optional(),
  queuedAt: z.string().min(1),
});

/**
 * The alert queue consumer (SQS event source, ReportBatchItemFailures): each message places at most one operator
 * call. A message to retry is reported as a batch item failure after its visibility is set to the backoff; a message
 * that will never be called (malformed, refused, capped, out of retries) is moved to the dead-letter queue and
 * deleted; the others are deleted. A failure of the handler's own dependencies fails only that message, which SQS
 * redelivers and, after maxReceiveCount, dead-letters by its redrive policy.
 */
export function createPlaceCallHandler(resolveDependencies: () => PlaceCallHandlerDependencies): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    const deps = resolveDependencies();
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    // One at a time: Connect allows about 2 StartOutboundVoiceContact calls per second per instance.
    for (const record of event.Records ?? []) {
      if (!(await handleMessage(deps, record))) batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
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
    deps.observer?.inspectionStarted(message.inspectionId);
    const attempt = Math.max(1, Number(record.attributes?.ApproximateReceiveCount) || 1);
    // Only deadLetter() sets this attribute, so a message carrying it was moved back from the dead-letter queue.
    const redriven = record.messageAttributes?.[DEAD_LETTER_CODE_ATTRIBUTE] !== undefined;
    const result = await placeOperatorCall(deps, { message, attempt, redriven });
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
    if (message) deps.observer?.inspectionFinished();
  }
}

function parseMessage(body: string): AlertMessage | undefined {
  try {
    const parsed = alertMessageSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
