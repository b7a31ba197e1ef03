/**
 * The one family of errors the product raises on purpose. Each carries a stable machine
 * code and the HTTP status it maps to; handlers map them in one place (functions/http/responses.ts).
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
  | 'DETECTOR_UNAVAILABLE'
  | 'STORAGE_UNAVAILABLE'
  | 'ALERT_QUEUE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** Base of every deliberate error: a stable code, an HTTP status and a message safe to show a client. */
export class WaferwatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly statusCode: number,
    message: string,
    /** Extra fields safe to return to the client (never secrets, never stack traces). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request itself cannot be read (bad JSON, missing image field, bad base64). */
export class MalformedRequestError extends WaferwatchError {
  constructor(message: string) {
    super('MALFORMED_REQUEST', 400, message);
  }
}

/** 413: the image is larger than the configured limit. */
export class ImageTooLargeError extends WaferwatchError {
  constructor(sizeBytes: number, maxBytes: number) {
    super('IMAGE_TOO_LARGE', 413, `The image is ${sizeBytes} bytes; the limit is ${maxBytes} bytes.`, { maxBytes });
  }
}

/** 415: the bytes are neither PNG nor JPEG. */
export class UnsupportedImageTypeError extends WaferwatchError {
  constructor(message = 'Only PNG and JPEG images are accepted (decided by the bytes, not the Content-Type).') {
    super('UNSUPPORTED_IMAGE_TYPE', 415, message);
  }
}

/** 422: the bytes look like PNG/JPEG but are truncated, corrupt or undecodable. */
export class CorruptImageError extends WaferwatchError {
  constructor(message: string) {
    super('CORRUPT_IMAGE', 422, message);
  }
}

/** 422: a side of the image is outside the accepted range. */
export class ImageDimensionsOutOfRangeError extends WaferwatchError {
  constructor(width: number, height: number, minSide: number, maxSide: number) {
    super(
      'IMAGE_DIMENSIONS_OUT_OF_RANGE',
      422,
      `The image is ${width}x${height} px; each side must be between ${minSide} and ${maxSide} px.`,
      { minSide, maxSide },
    );
  }
}

/** 422: the station registry has no station with that id; nothing was stored, inspected or counted. */
export class UnknownStationError extends WaferwatchError {
  constructor(stationId: string | undefined) {
    super(
      'UNKNOWN_STATION',
      422,
      stationId === undefined
        ? 'Name the station that took the image (field, query parameter or X-Station-Id header); this installation only accepts stations from its registry.'
        : `Station ${stationId} is not in the station registry; name one of the registered stations.`,
      stationId === undefined ? {} : { stationId },
    );
  }
}

/** 404: no inspection with that id. */
export class InspectionNotFoundError extends WaferwatchError {
  constructor(inspectionId: string) {
    super('INSPECTION_NOT_FOUND', 404, `No inspection ${inspectionId}.`);
  }
}

/**
 * 503: the anomaly detector cannot answer now (model stopped or missing, throttled) even after retries.
 * The image and its record are saved before this is thrown; `inspectionId` lets the client find them.
 */
export class DetectorUnavailableError extends WaferwatchError {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    details: Record<string, unknown> = {},
  ) {
    super('DETECTOR_UNAVAILABLE', 503, message, details);
  }
}

/**
 * 503: the image or its record could not be written (after the SDK's retries). Nothing was accepted
 * half-way that the client cannot see: it is told to send the image again.
 */
export class StorageUnavailableError extends WaferwatchError {
  constructor(message = 'The image could not be stored right now; send it again shortly.', details: Record<string, unknown> = {}) {
    super('STORAGE_UNAVAILABLE', 503, message, details);
  }
}

/**
 * 503: the inspection is stored with its verdict, but its operator alert could not be queued (the record says
 * `not-queued`). Sending the same image again queues it: it is not inspected or stored a second time.
 */
export class AlertQueueUnavailableError extends WaferwatchError {
  constructor(inspectionId: string) {
    super('ALERT_QUEUE_UNAVAILABLE', 503, 'The inspection is stored, but its operator alert could not be queued; send the image again shortly to queue it.', {
      inspectionId,
    });
  }
}

/**
 * An operator call that could not be placed, said in words safe to store in the record and show to
 * clients (no phone numbers, no ARNs). Callers reject with a subclass; any other error's message is
 * never recorded, since it could carry either.
 */
export class OperatorCallError extends Error {}

/**
 * 422: the camera upload for this inspection id was refused and parked under rejected/; `rejection`
 * says why in the same codes the API answers for the same bytes.
 */
export class UploadRejectedError extends WaferwatchError {
  constructor(inspectionId: string, rejection: { code: string; message: string; rejectedAt: string }) {
    super('UPLOAD_REJECTED', 422, `The upload for inspection ${inspectionId} was refused: ${rejection.message}`, { inspectionId, rejection });
  }
}
