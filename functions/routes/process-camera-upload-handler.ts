import type { S3Event } from 'aws-lambda';
import { processCameraUpload, type CameraUploadDependencies, type CameraUploadOutcome } from '../core/camera-upload';

/** What the S3 ObjectCreated handler needs: the processing dependencies and the one bucket it serves. */
export interface ProcessCameraUploadHandlerDependencies extends CameraUploadDependencies {
  bucket: string;
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
      try {
        outcomes.push(await processCameraUpload(deps, objectKey(record.s3.object.key)));
      } catch (error) {
        failures.push(error);
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
