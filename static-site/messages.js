// Plain words for the page: every answer the inspection API can give, verdicts, confidence and decisions. Shared by
// the upload cards, the history and the record dialog; kept free of DOM access so it can be unit-tested in Node.

/** @import { ApiError, InspectionStatus } from './types.js' */

/**
 * Bytes as "4 MB" / "812 KB" for people.
 * @param {unknown} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return 'the limit';
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * A message an operator at the line can act on, for an API error.
 * `error` is the `{ code, message, ...details }` object of the JSON body (or undefined when the body was not ours),
 * `status` the HTTP status (0 when the request never got an answer), `retryAfter` the Retry-After header.
 * @param {ApiError | undefined} error
 * @param {number} status
 * @param {string | null | undefined} retryAfter
 * @returns {string}
 */
export function describeError(error, status, retryAfter) {
  if (error && typeof error.code === 'string') {
    const message = describeErrorCode(error.code, error, retryAfter);
    if (message) return message;
  }
  if (status === 0) return 'The server could not be reached. Check the network connection and try again.';
  if (status === 401) return 'You are not signed in, or your sign-in has expired. Sign in again.';
  if (status === 403) return 'The API refused the request: your account may not do this. Ask an administrator for the right group.';
  if (status === 413) return 'This upload is larger than the API accepts. Export the image smaller and try again.';
  if (status === 429) return 'Too many uploads at once. Wait a moment and try again.';
  if (status === 502 || status === 504) return 'The server did not answer in time. Try again.';
  return 'The server could not do this right now. Try again; if it keeps happening, tell the line engineer.';
}

/**
 * What an engineer needs about a refusal (the HTTP status, the API's code and message): for the "engineer details"
 * disclosure and the console, never for the operator's message.
 * @param {ApiError | undefined} error
 * @param {number} status
 * @returns {string}
 */
export function errorDetails(error, status) {
  const parts = [status === 0 ? 'no answer (network)' : `HTTP ${status}`];
  if (error && typeof error.code === 'string') parts.push(error.code);
  if (error && typeof error.message === 'string') parts.push(error.message);
  if (error && typeof error.requestId === 'string') parts.push(`request ${error.requestId}`);
  return parts.join(' · ');
}

/**
 * The message for one of the API's error codes, or undefined for a code the page has no words for.
 * @param {string} code
 * @param {ApiError} error
 * @param {string | null | undefined} retryAfter
 * @returns {string | undefined}
 */
function describeErrorCode(code, error, retryAfter) {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'You are not signed in, or your sign-in has expired. Sign in again.';
    case 'FORBIDDEN':
      return 'Your account may not do this. Ask an administrator for the right group.';
    case 'STATION_NOT_PERMITTED':
      return error.stationId ? `This key may not send images for station ${error.stationId}.` : 'This key may not send images for that station.';
    case 'THROTTLED':
      return 'Too many requests at once. Wait a moment and try again.';
    case 'QUOTA_EXCEEDED':
      return "Today's allowance of requests is used up. Try again tomorrow, or ask an administrator to raise it.";
    case 'MALFORMED_REQUEST':
      return 'The upload could not be read by the server. Choose the image again and retry.';
    case 'IMAGE_TOO_LARGE':
      return `This image is too large: the limit is ${formatBytes(error.maxBytes)}. Export it smaller or as JPEG and try again.`;
    case 'PAYLOAD_TOO_LARGE':
      return `This upload is larger than the API accepts (${formatBytes(error.maxBytes)}). Export the image smaller and try again.`;
    case 'UNSUPPORTED_IMAGE_TYPE':
      return 'This file is not a PNG or JPEG image. Only PNG and JPEG wafer photos can be inspected.';
    case 'CORRUPT_IMAGE':
      return 'This image file is damaged or incomplete and cannot be decoded. Take or export the photo again.';
    case 'IMAGE_DIMENSIONS_OUT_OF_RANGE': {
      const range = error.minSide && error.maxSide ? ` between ${error.minSide} and ${error.maxSide} pixels` : ' within the accepted range';
      return `The image size is not accepted: each side must be${range}.`;
    }
    case 'DETECTOR_UNAVAILABLE': {
      const wait = retryAfter ? ` Try again in about ${retryAfter} seconds.` : ' Try again in a minute.';
      const saved = error.inspectionId ? ` The image was saved as inspection ${error.inspectionId} but not inspected.` : '';
      return `The anomaly detector is not available right now.${saved}${wait}`;
    }
    case 'STORAGE_UNAVAILABLE':
      return 'The image could not be stored right now. Send it again shortly.';
    case 'ALERT_QUEUE_UNAVAILABLE': {
      const saved = error.inspectionId ? ` as inspection ${error.inspectionId}` : '';
      return `The wafer was inspected and saved${saved}, but the operator call could not be queued. Send the same image again to queue the call.`;
    }
    case 'UNKNOWN_STATION':
      return error.stationId
        ? `Station ${error.stationId} is not registered here. Check the station name and try again.`
        : 'This installation needs a station name: fill in the station and try again.';
    case 'INSPECTION_NOT_FOUND':
      return 'That inspection does not exist (any more).';
    case 'ROUTE_NOT_FOUND':
      return 'This server does not know that request: the page may be newer than the server. Tell the line engineer.';
    case 'ORIGIN_NOT_ALLOWED':
      return "The server does not accept requests from this page's address. Tell the line engineer.";
    case 'INTERNAL_ERROR': {
      const reference = error.requestId ? ` (reference ${error.requestId})` : '';
      return `Something went wrong on the server${reference}. Try again; if it keeps happening, tell the line engineer.`;
    }
    default:
      return undefined;
  }
}

/**
 * The verdict as people say it.
 * @param {InspectionStatus | string} status
 * @returns {string}
 */
export function verdictLabel(status) {
  if (status === 'anomalous') return 'Anomalous';
  if (status === 'normal') return 'Normal';
  if (status === 'needs-review') return 'Needs review';
  return 'Not inspected';
}

/** The decision behind a key, as the page says it after "acknowledged by …:". */
const DECISION_WORDS = { keep: 'keep manufacturing', scrap: 'scrap' };

/**
 * An operator's decision in words: "keep manufacturing", "scrap", or the decision as recorded.
 * @param {unknown} decision
 * @returns {string}
 */
export function decisionWords(decision) {
  if (decision === 'keep' || decision === 'scrap') return DECISION_WORDS[decision];
  return decision === undefined || decision === null ? 'decided' : String(decision);
}

/**
 * Confidence in [0, 1] as a whole percent, or undefined when there is none. Rounded down, like the percent the
 * operator hears on the call (functions/core/alert-policy.ts), so page and phone never disagree.
 * @param {{ Confidence?: number } | undefined} detection
 * @returns {number | undefined}
 */
export function confidencePercent(detection) {
  if (!detection || typeof detection.Confidence !== 'number' || !Number.isFinite(detection.Confidence)) return undefined;
  return Math.floor(Math.min(1, Math.max(0, detection.Confidence)) * 100);
}

/**
 * A time of day as the line says it, 24-hour ("02:58"), with the day when it is not today ("3 Dec 02:58").
 * @param {string | undefined} iso
 * @param {Date} [now]
 * @returns {string}
 */
export function timeWords(iso, now = new Date()) {
  const date = new Date(iso ?? '');
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const clock = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  if (date.toDateString() === now.toDateString()) return clock;
  return `${date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${clock}`;
}

/**
 * "already inspected at 02:58 on litho-3": what the page says when the same bytes come again.
 * @param {{ at: string, stationId: string }} earlier
 * @param {(stationId: string) => string} [stationName]
 * @param {Date} [now]
 * @returns {string}
 */
export function alreadyInspectedWords(earlier, stationName = (id) => id, now = new Date()) {
  return `Already inspected at ${timeWords(earlier.at, now)} on ${stationName(earlier.stationId)}`;
}

/**
 * A duration in seconds as people say it: "45 s", "3 min", "1 h 20 min"; "—" for none.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function durationWords(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * Who answered the call and what they chose, or what people said of the wafer; '' when nobody has.
 * @param {{ alert?: { status: string, acknowledgedBy?: { contactName?: string, decision?: unknown } }, decision?: { decision: string }, label?: { verdict: string, source: string, by: string } }} record
 * @returns {string}
 */
export function decisionLine(record) {
  const parts = [];
  const by = record.alert?.status === 'acknowledged' ? record.alert.acknowledgedBy : undefined;
  if (by) parts.push(`${by.contactName || 'The operator'} chose ${decisionWords(by.decision ?? record.decision?.decision)}`);
  else if (record.decision) parts.push(`Operator chose ${decisionWords(record.decision.decision)}`);
  if (record.label?.source === 'engineer-review') parts.push(`${record.label.by} marked it ${record.label.verdict === 'normal' ? 'normal' : 'a defect'}`);
  return parts.join(' · ');
}

/**
 * How many files of a batch came to what.
 * @typedef {{ normal: number, anomalous: number, 'needs-review': number, 'not-inspected': number, refused: number, already: number, waiting: number }} BatchCounts
 */

/**
 * A batch's summary as it stands: "2 normal · 1 anomalous · 1 refused · 1 waiting".
 * @param {BatchCounts} counts
 * @returns {string}
 */
export function batchSummary(counts) {
  const parts = [];
  if (counts.normal) parts.push(`${counts.normal} normal`);
  if (counts.anomalous) parts.push(`${counts.anomalous} anomalous`);
  if (counts['needs-review']) parts.push(`${counts['needs-review']} to review`);
  if (counts['not-inspected']) parts.push(`${counts['not-inspected']} not inspected`);
  if (counts.refused) parts.push(`${counts.refused} refused`);
  if (counts.already) parts.push(`${counts.already} inspected before`);
  if (counts.waiting) parts.push(`${counts.waiting} waiting`);
  return parts.join(' · ') || 'Nothing yet';
}

/**
 * The message at the end of a batch: true to what happened (never "all uploaded" when files were refused).
 * @param {BatchCounts} counts
 * @returns {string}
 */
export function batchFinalMessage(counts) {
  const inspected = counts.normal + counts.anomalous + counts['needs-review'];
  const total = inspected + counts['not-inspected'] + counts.refused;
  const plural = (/** @type {number} */ count) => (count === 1 ? 'file' : 'files');
  if (total === 0) return 'No files were sent.';
  if (counts.refused === total) {
    return total === 1
      ? 'The file was refused and not inspected: see its card for why.'
      : `None of the ${total} files could be inspected: all were refused. See each card for why.`;
  }
  const verdicts = [];
  if (counts.normal) verdicts.push(`${counts.normal} normal`);
  if (counts.anomalous) verdicts.push(`${counts.anomalous} anomalous`);
  if (counts['needs-review']) verdicts.push(`${counts['needs-review']} to review`);
  const head =
    inspected === total
      ? `Done: ${total === 1 ? 'the file was' : `all ${total} files were`} inspected`
      : `Done: ${inspected} of ${total} ${plural(total)} inspected`;
  const tail = [];
  if (counts['not-inspected']) tail.push(`${counts['not-inspected']} kept but not inspected (the detector was not available)`);
  if (counts.refused) tail.push(`${counts.refused} refused`);
  if (counts.already) tail.push(`${counts.already} had been inspected before`);
  return `${head}${verdicts.length ? ` (${verdicts.join(', ')})` : ''}${tail.length ? `; ${tail.join('; ')}` : ''}.`;
}
