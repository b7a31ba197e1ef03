import { INCOMING_PREFIX, inspectionIdFromIncomingKey, STATION_ID, UNEXPECTED_KEY } from './camera-upload';
import type { CameraRejection, CameraUploadStore } from './ports/camera-upload-store';
import type { Detector } from './ports/detector';
import { ImageTooLargeError, isRefusal, MalformedRequestError } from './errors';
import { inspectWaferImage, type InspectionDependencies } from './inspect-wafer-image';

/** What processing one camera upload needs. */
export interface CameraUploadDependencies {
  uploads: CameraUploadStore;
  inspection: Omit<InspectionDependencies, 'detector'>;
  detector: () => Promise<Detector>;
  /** The station of uploads that name none. */
  defaultStationId: string;
}

/** What became of one uploaded object. */
export type CameraUploadOutcome =
  | { status: 'inspected'; inspectionId: string; inspectionStatus: string }
  | { status: 'rejected'; inspectionId?: string; code: string }
  | { status: 'already-processed'; inspectionId?: string }
  | { status: 'ignored' };

/**
 * Inspect one object a camera put under `incoming/`, with the inspection id minted when the upload was granted.
 *
 * Invalid uploads (a key the server never handed out, too large, not PNG/JPEG, corrupt, wrong size) are parked under
 * `rejected/` with the reason and removed from `incoming/`: never dropped. When a dependency fails (storage, the
 * detector) the object stays in `incoming/` and the error is thrown, so the invocation is retried and, when retries
 * run out, lands in the failure queue. Running twice for one object is harmless: a finished inspection is not redone.
 */
export async function processCameraUpload(deps: CameraUploadDependencies, key: string): Promise<CameraUploadOutcome> {
  const now = deps.inspection.now ?? (() => new Date());
  const logger = deps.inspection.logger;
  if (!key.startsWith(INCOMING_PREFIX)) return { status: 'ignored' };

  const inspectionId = inspectionIdFromIncomingKey(key);
  const head = await deps.uploads.headIncoming(key);
  if (!head) {
    logger.info('The camera upload is gone; it was already processed', { inspectionId, key });
    return { status: 'already-processed', ...(inspectionId ? { inspectionId } : {}) };
  }
  if (!inspectionId) {
    return park(deps, key, {
      code: UNEXPECTED_KEY,
      message: 'Camera uploads must use the key POST /uploads handed out (incoming/<inspection id>).',
      rejectedAt: now().toISOString(),
    });
  }

  // A redelivered event, or a retry after the incoming object failed to delete: the verdict stands, no second call.
  // (An alert that could not be queued goes on: the pipeline queues it without inspecting again.)
  const existing = await deps.inspection.store.getRecord(inspectionId);
  if (existing && existing.status !== 'not-inspected' && existing.alert.status !== 'not-queued') {
    await deps.uploads.deleteIncoming(key);
    logger.info('The camera upload was already inspected', { inspectionId, status: existing.status });
    return { status: 'already-processed', inspectionId };
  }

  const maxBytes = deps.inspection.limits.maxBytes;
  try {
    // Refused from S3's own size, before a byte is read into memory.
    if (head.sizeBytes > maxBytes) throw new ImageTooLargeError(head.sizeBytes, maxBytes);
    if (head.stationId !== undefined && !STATION_ID.test(head.stationId)) {
      throw new MalformedRequestError('The station id must be 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit.');
    }
    const bytes = await deps.uploads.readIncoming(key);
    if (!bytes) return { status: 'already-processed', inspectionId };
    if (bytes.byteLength > maxBytes) throw new ImageTooLargeError(bytes.byteLength, maxBytes);
    // A detector that cannot load answers with its load error, so the image is still kept as not inspected.
    const detector: Detector = await deps.detector().catch((error: unknown) => ({ detect: () => Promise.reject(error) }));
    const outcome = await inspectWaferImage(
      { ...deps.inspection, detector },
      { bytes, stationId: head.stationId ?? deps.defaultStationId, source: 'camera', inspectionId },
    );
    await deps.uploads.deleteIncoming(key);
    return { status: 'inspected', inspectionId, inspectionStatus: outcome.record.status };
  } catch (error) {
    // A refusal is the upload's own fault (the same bytes would be refused again): parked with the reason, never retried.
    if (isRefusal(error)) {
      return park(deps, key, { inspectionId, code: error.code, message: error.message, rejectedAt: now().toISOString() });
    }
    logger.error('Processing the camera upload failed; it stays in incoming/ for a retry', {
      inspectionId,
      error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
    });
    throw error;
  }
}

async function park(deps: CameraUploadDependencies, key: string, rejection: CameraRejection): Promise<CameraUploadOutcome> {
  await deps.uploads.reject(key, rejection);
  await deps.uploads.deleteIncoming(key);
  deps.inspection.logger.warn('Camera upload rejected', { inspectionId: rejection.inspectionId, key, code: rejection.code });
  return { status: 'rejected', code: rejection.code, ...(rejection.inspectionId ? { inspectionId: rejection.inspectionId } : {}) };
}
