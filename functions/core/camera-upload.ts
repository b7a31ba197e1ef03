import type { Detector } from './detection';
import { ImageTooLargeError, MalformedRequestError, WaferwatchError } from './errors';
import { inspectWaferImage, type InspectionDependencies } from './inspect-wafer-image';
import { isInspectionId } from './inspection-keys';

/** Where cameras upload: the server picks every key under it (`incoming/<inspection id>`). */
export const INCOMING_PREFIX = 'incoming/';
/** Where refused camera uploads are kept for review, each with a JSON note of the reason beside it. */
export const REJECTED_PREFIX = 'rejected/';

/** Same rule as the API's station ids (functions/http/read-inspection-request.ts): safe in S3 metadata and logs. */
export const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Why a camera upload is refused when the key itself is not one the server handed out. */
export const UNEXPECTED_KEY = 'UNEXPECTED_KEY';

/** The S3 key a camera uploads the image for `inspectionId` to. */
export function incomingKey(inspectionId: string): string {
  return `${INCOMING_PREFIX}${inspectionId}`;
}

/** The inspection id an `incoming/` key names, or undefined when the key is not `incoming/<ULID>`. */
export function inspectionIdFromIncomingKey(key: string): string | undefined {
  if (!key.startsWith(INCOMING_PREFIX)) return undefined;
  const rest = key.slice(INCOMING_PREFIX.length);
  return isInspectionId(rest) ? rest : undefined;
}

/**
 * Where a refused `incoming/` object is kept: its name under `rejected/`, flattened to one safe path segment (a
 * key nobody handed out can hold anything; the JSON note beside it keeps the original key).
 */
export function rejectedKey(incoming: string): string {
  const name = incoming.startsWith(INCOMING_PREFIX) ? incoming.slice(INCOMING_PREFIX.length) : incoming;
  return `${REJECTED_PREFIX}${name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_'}`;
}

/** A browser-style S3 POST upload: send `fields` then the file (form field `file`) as multipart/form-data to `url`. */
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  method: 'POST';
  /** When S3 stops accepting the upload (ISO 8601). */
  expiresAt: string;
  /** The largest object the policy accepts, in bytes. */
  maxBytes: number;
}

/** What the upload policy binds: exactly one key, a size range, an image content type and, optionally, the station. */
export interface UploadGrant {
  key: string;
  maxBytes: number;
  expiresInSeconds: number;
  stationId?: string;
}

/** What S3 says about an uploaded object before it is read. */
export interface IncomingObjectHead {
  sizeBytes: number;
  /** The station the upload was granted for (`x-amz-meta-station-id`), as uploaded. */
  stationId?: string;
}

/** Why an upload was refused, as kept beside it under `rejected/`. */
export interface CameraRejection {
  inspectionId?: string;
  code: string;
  message: string;
  rejectedAt: string;
}

/** The camera uploads' side of the bucket (S3 in production): presigned uploads in, refused ones parked. */
export interface CameraUploadStore {
  /** A presigned POST that can only create `grant.key`, within the size and type bounds, until it expires. */
  presignUpload(grant: UploadGrant): Promise<PresignedUpload>;
  /** Size and metadata of an uploaded object, or undefined when it is gone (already processed). */
  headIncoming(key: string): Promise<IncomingObjectHead | undefined>;
  /** The object's bytes, or undefined when it is gone. */
  readIncoming(key: string): Promise<Uint8Array | undefined>;
  /** Keep the object under `rejected/` with the reason as metadata, plus `rejected/<name>.json` holding the reason. */
  reject(key: string, rejection: CameraRejection): Promise<void>;
  /** Remove the uploaded object once it is inspected or parked; a missing object is not an error. */
  deleteIncoming(key: string): Promise<void>;
}

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
    return park(deps, key, { code: UNEXPECTED_KEY, message: 'Camera uploads must use the key POST /uploads handed out (incoming/<inspection id>).', rejectedAt: now().toISOString() });
  }

  // A redelivered event, or a retry after the incoming object failed to delete: the verdict stands, no second call.
  const existing = await deps.inspection.store.getRecord(inspectionId);
  if (existing && existing.status !== 'not-inspected') {
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
    if (error instanceof WaferwatchError && error.statusCode >= 400 && error.statusCode < 500) {
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
