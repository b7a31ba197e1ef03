import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { S3Event, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { inspectionIdFromIncomingKey } from '../../core/camera-upload';
import { processCameraUpload, type CameraUploadDependencies, type CameraUploadOutcome } from '../../core/process-camera-upload';
import type { RequestObserver } from '../observability/observability';

/** What the S3 ObjectCreated handler needs: the processing dependencies and the one bucket it serves. */
export interface ProcessCameraUploadHandlerDependencies extends CameraUploadDependencies {
  bucket: string;
  /** Told each upload's inspection id while it is processed (log keys, trace annotation) and why one was refused. */
  observer?: RequestObserver;
}

/**
 * The S3 `ObjectCreated` (prefix `incoming/`) handler: each record's object goes through processCameraUpload.
 * Every record is tried; if any failed on a dependency, the invocation throws after the others are done, so
 * Lambda's asynchronous retries (then the failure queue) keep the event, and the finished records are not redone
 * on the retry (processCameraUpload is idempotent).
 */
export function createProcessCameraUploadHandler(
  resolveDependencies: () => ProcessCameraUploadHandlerDependencies,
): (event: S3Event) => Promise<{ outcomes: CameraUploadOutcome[] }> {
  return async (event) => {
    const deps = resolveDependencies();
    const outcomes: CameraUploadOutcome[] = [];
    const failures: unknown[] = [];
    for (const record of event.Records ?? []) {
      if (!record.eventName?.startsWith('ObjectCreated') || record.s3?.bucket?.name !== deps.bucket) {
        outcomes.push({ status: 'ignored' });
        continue;
      }
      const key = objectKey(record.s3.object.key);
      const inspectionId = inspectionIdFromIncomingKey(key);
      if (inspectionId) deps.observer?.inspectionStarted(inspectionId);
      try {
        const outcome = await processCameraUpload(deps, key);
        if (outcome.status === 'rejected') deps.observer?.rejected(outcome.code);
        outcomes.push(outcome);
      } catch (error) {
        failures.push(error);
      } finally {
        deps.observer?.inspectionFinished();
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} camera uploads failed; they stay in incoming/ for a retry`);
    return { outcomes };
  };
}

/** S3 event keys are URL-encoded with `+` for spaces. */
function objectKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * The deployed entry: S3 sends the `incoming/` notifications to an SQS queue (serverless.yml explains why), and each
 * message body is one S3 event. A message whose uploads failed on a dependency is reported as a batch item failure,
 * so SQS redelivers it after the visibility timeout and, after maxReceiveCount tries, moves it to the dead-letter
 * queue; the others in the batch are deleted. S3's `s3:TestEvent` (sent when the notification is configured) is
 * acknowledged and ignored.
 */
export function createCameraUploadQueueHandler(
  resolveDependencies: () => ProcessCameraUploadHandlerDependencies,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processS3Event = createProcessCameraUploadHandler(resolveDependencies);
  const recordHandler = async (message: SQSRecord): Promise<void> => {
    try {
      const body = JSON.parse(message.body) as Partial<S3Event> & { Event?: string };
      if (body.Event === 's3:TestEvent') return;
      if (!Array.isArray(body.Records)) throw new Error('The message is not an S3 event notification');
      await processS3Event(body as S3Event);
    } catch (error) {
      resolveDependencies().inspection.logger.error('A camera upload message failed; SQS will redeliver it', {
        messageId: message.messageId,
        receiveCount: message.attributes?.ApproximateReceiveCount,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      throw error;
    }
  };
  return async (event) => {
    // A processor per invocation: it keeps the batch's records and failures on itself, so overlapping invocations of
    // one handler (the local stack, tests) cannot mix their batches.
    const { batchItemFailures } = await processPartialResponse({ Records: event.Records ?? [] }, recordHandler, new BatchProcessor(EventType.SQS), {
      // One upload at a time, as before: each may be a 20 MiB image decoded in memory.
      processInParallel: false,
      // The queue delivers one message per batch (serverless.yml), so every failure is a full batch failure: it is
      // reported as the message's item failure, as in a larger batch, rather than thrown as FullBatchFailureError,
      // which would fail the invocation (Errors metric) for what SQS redelivers anyway.
      throwOnFullBatchFailure: false,
    });
    // A copy: with no failure the processor answers with a response object it shares between invocations.
    return { batchItemFailures: [...batchItemFailures] };
  };
}
