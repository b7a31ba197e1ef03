/**
 * The one family of errors the product raises on purpose. Each carries a stable machine code, a message safe to show
 * a client and what kind of failure it is. The core knows no transport: the API answers each code with the HTTP
 * status functions/adapters/http/error-status.ts gives it, in that one place.
 */
export type ErrorCode =
  | 'MALFORMED_REQUEST'
  | 'IMAGE_TOO_LARGE'
  | 'UNSUPPORTED_IMAGE_TYPE'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_DIMENSIONS_OUT_OF_RANGE'
  | 'INSPECTION_NOT_FOUND'
  | 'UNKNOWN_STATION'
  | 'UPLOAD_REJECTED'
  | 'ROUTE_NOT_FOUND'
  | 'ORIGIN_NOT_ALLOWED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'STATION_NOT_PERMITTED'
  | 'DETECTOR_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'ALERT_QUEUE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/**
 * What kind of failure an error is, which decides what its caller can do about it:
 * - `refused`: the request itself is at fault (unreadable, too large, not a wafer image, an unknown station); the
 *   same request fails the same way again. A camera upload refused so is parked under rejected/, not retried.
 * - `not-found`: it names something that does not exist.
 * - `unavailable`: a dependency could not answer (after retries); the same request may succeed later.
 */
export type ErrorKind = 'refused' | 'not-found' | 'unavailable';

/** Base of every deliberate error: a stable code, its kind and a message safe to show a client. */
export class WaferwatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly kind: ErrorKind,
    message: string,
    /** Extra fields safe to return to the client (never secrets, never stack traces). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Refused: the request itself cannot be read (bad JSON, missing image field, bad base64). */
export class MalformedRequestError extends WaferwatchError {
  /** `parameter`, when given, names the query parameter at fault (`"parameter": "limit"` in the answer). */
  constructor(message: string, parameter?: string) {
    super('MALFORMED_REQUEST', 'refused', message, parameter ? { parameter } : {});
  }
}

/** Refused: the image is larger than the configured limit. */
export class ImageTooLargeError extends WaferwatchError {
  constructor(sizeBytes: number, maxBytes: number) {
    super('IMAGE_TOO_LARGE', 'refused', `The image is ${sizeBytes} bytes; the limit is ${maxBytes} bytes.`, { maxBytes });
  }
}

/** Refused: the bytes are neither PNG nor JPEG. */
export class UnsupportedImageTypeError extends WaferwatchError {
  constructor(message = 'Only PNG and JPEG images are accepted (decided by the bytes, not the Content-Type).') {
    super('UNSUPPORTED_IMAGE_TYPE', 'refused', message);
  }
}

/** Refused: the bytes look like PNG/JPEG but are truncated, corrupt or undecodable. */
export class CorruptImageError extends WaferwatchError {
  constructor(message: string) {
    super('CORRUPT_IMAGE', 'refused', message);
  }
}

/** Refused: a side of the image is outside the accepted range. */
export class ImageDimensionsOutOfRangeError extends WaferwatchError {
  constructor(width: number, height: number, minSide: number, maxSide: number) {
    super('IMAGE_DIMENSIONS_OUT_OF_RANGE', 'refused', `The image is ${width}x${height} px; each side must be between ${minSide} and ${maxSide} px.`, {
      minSide,
      maxSide,
    });
  }
}

/** Refused: the station registry has no station with that id; nothing was stored, inspected or counted. */
export class UnknownStationError extends WaferwatchError {
  constructor(stationId: string | undefined) {
    super(
      'UNKNOWN_STATION',
      'refused',
      stationId === undefined
        ? 'Name the station that took the image (field, query parameter or X-Station-Id header); this installation only accepts stations from its registry.'
        : `Station ${stationId} is not in the station registry; name one of the registered stations.`,
      stationId === undefined ? {} : { stationId },
    );
  }
}

/** Refused: nobody signed in and no camera key came with the request. */
export class UnauthenticatedError extends WaferwatchError {
  constructor(message = "Sign in, or send this camera's key in the x-api-key header.") {
    super('UNAUTHENTICATED', 'refused', message);
  }
}

/** Refused: the caller is known but their groups (or their key) do not allow this. */
export class ForbiddenError extends WaferwatchError {
  constructor(permission: string) {
    super('FORBIDDEN', 'refused', 'Your account is not allowed to do this; ask an administrator for the right group.', { requires: permission });
  }
}

/** Refused: a camera key is bound to one station, and the request named another. */
export class StationNotPermittedError extends WaferwatchError {
  constructor(stationId: string) {
    super(
      'STATION_NOT_PERMITTED',
      'refused',
      `This camera key belongs to another station than ${stationId}; each key may only send images of its own station.`,
      {
        stationId,
      },
    );
  }
}

/** Not found: no inspection with that id. */
export class InspectionNotFoundError extends WaferwatchError {
  constructor(inspectionId: string) {
    super('INSPECTION_NOT_FOUND', 'not-found', `No inspection ${inspectionId}.`);
  }
}

/**
 * Unavailable: the anomaly detector cannot answer now (model stopped or missing, throttled) even after retries.
 * The image and its record are saved before this is thrown; `inspectionId` lets the client find them.
 */
export class DetectorUnavailableError extends WaferwatchError {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    details: Record<string, unknown> = {},
  ) {
    super('DETECTOR_UNAVAILABLE', 'unavailable', message, details);
  }
}

/**
 * Unavailable: the image or its record could not be written (after the SDK's retries). Nothing was accepted
 * half-way that the client cannot see: it is told to send the image again.
 */
export class StorageUnavailableError extends WaferwatchError {
  constructor(message = 'The image could not be stored right now; send it again shortly.', details: Record<string, unknown> = {}) {
    super('STORAGE_UNAVAILABLE', 'unavailable', message, details);
  }
}

/**
 * Unavailable: the inspection is stored with its verdict, but its operator alert could not be queued (the record says
 * `not-queued`). Sending the same image again queues it: it is not inspected or stored a second time.
 */
export class AlertQueueUnavailableError extends WaferwatchError {
  constructor(inspectionId: string) {
    super(
      'ALERT_QUEUE_UNAVAILABLE',
      'unavailable',
      'The inspection is stored, but its operator alert could not be queued; send the image again shortly to queue it.',
      {
        inspectionId,
      },
    );
  }
}

/**
 * An operator call that could not be placed, said in words safe to store in the record and show to
 * clients (no phone numbers, no ARNs). Callers reject with a subclass; any other error's message is
 * never recorded, since it could carry either.
 */
export class OperatorCallError extends Error {}

/**
 * Refused: the camera upload for this inspection id was refused and parked under rejected/; `rejection`
 * says why in the same codes the API answers for the same bytes.
 */
export class UploadRejectedError extends WaferwatchError {
  constructor(inspectionId: string, rejection: { code: string; message: string; rejectedAt: string }) {
    super('UPLOAD_REJECTED', 'refused', `The upload for inspection ${inspectionId} was refused: ${rejection.message}`, { inspectionId, rejection });
  }
}

/**
 * True for an error the request itself caused (refused, or naming something that does not exist): sending the same
 * request again cannot succeed, so it is answered or parked rather than retried. Anything else may be a passing failure.
 */
export function isRefusal(error: unknown): error is WaferwatchError {
  return error instanceof WaferwatchError && (error.kind === 'refused' || error.kind === 'not-found');
}
