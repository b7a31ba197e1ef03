import type { ErrorCode, WaferwatchError } from '../../core/errors';

/**
 * The HTTP status the API answers each error code with: the one place the product's errors meet HTTP. A Record over
 * every ErrorCode, so a new code does not compile until it has a status here.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  MALFORMED_REQUEST: 400,
  ORIGIN_NOT_ALLOWED: 403,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  STATION_NOT_PERMITTED: 403,
  INSPECTION_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  IMAGE_TOO_LARGE: 413,
  UNSUPPORTED_IMAGE_TYPE: 415,
  CORRUPT_IMAGE: 422,
  IMAGE_DIMENSIONS_OUT_OF_RANGE: 422,
  UNKNOWN_STATION: 422,
  UPLOAD_REJECTED: 422,
  INTERNAL_ERROR: 500,
  DETECTOR_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  ALERT_QUEUE_UNAVAILABLE: 503,
};

/** The HTTP status of a deliberate error. */
export function httpStatusOf(error: WaferwatchError): number {
  return ERROR_STATUS[error.code];
}
