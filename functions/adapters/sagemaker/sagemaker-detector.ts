import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { DetectedAnomaly, DetectionResult, DetectorName } from '../../core/detection';
import type { Detector } from '../../core/ports/detector';
import { DetectorUnavailableError } from '../../core/errors';
import type { ValidatedWaferImage } from '../../core/wafer-image';
import { clampPercent, retryAfterHeaderSeconds } from '../lookout-shaped-answers';

export interface SageMakerDetectorOptions {
  client: SageMakerRuntimeClient;
  /** The real-time endpoint's name (not its ARN). */
  endpointName: string;
  /**
   * ContentType sent with every image. Unset: the image's own type as its bytes proved it (`image/jpeg`, `image/png`),
   * which is what the Marketplace "Computer Vision Defect Detection" model takes (see SAGEMAKER_CONTENT_TYPE in
   * functions/config/detector.ts).
   */
  contentType?: string;
}

/** Why the SageMaker endpoint could not answer; returned to clients in the 503's details, so it names no resource. */
export type SageMakerUnavailableReason =
  | 'throttled'
  | 'endpoint-not-found'
  | 'model-not-ready'
  | 'model-error'
  | 'request-rejected'
  | 'access-denied'
  | 'service-error'
  | 'malformed-answer'
  | 'network';

/** Retry-After we suggest for throttling when the service gave none (SageMaker Runtime sends none). */
const DEFAULT_THROTTLE_RETRY_AFTER_SECONDS = 1;
/**
 * Retry-After for ModelNotReadyException when the service gave none: a serverless variant still provisioning, or a
 * multi-model endpoint still loading its model, is ready within seconds; the API reference says "wait and try again".
 */
const DEFAULT_MODEL_NOT_READY_RETRY_AFTER_SECONDS = 5;
/** Status codes a model container answers when it is only busy (ModelError's OriginalStatusCode). */
const TRANSIENT_MODEL_STATUS = new Set([429, 503]);

/**
 * The detector's name in DetectionResult.Detector. functions/core/detection.ts names only 'embedded' and
 * 'lookoutvision' so far; until 'sagemaker' joins that union, the result is widened here, in this one place.
 */
const DETECTOR_NAME: DetectorName = 'sagemaker';

/**
 * Detector backed by a model on an Amazon SageMaker real-time endpoint (InvokeEndpoint), such as the Marketplace
 * "Computer Vision Defect Detection" model AWS points Lookout for Vision users to. The image's bytes go as the request
 * body; the model answers Lookout's DetectAnomalyResult fields as JSON: `{"IsAnomalous": true, "Confidence": 0.93}`
 * (the shape AWS's sample notebook for that model shows, with `"Source": {"Type": "direct"}`), optionally with
 * Lookout's segmentation fields (`Anomalies`, and `AnomalyMask`, a base64 PNG), and also nested in
 * `{"DetectAnomalyResult": {...}}` as DetectAnomalies answered.
 *
 * Everything that keeps the endpoint from answering, after the SDK's own retries, becomes a DetectorUnavailableError
 * (503 DETECTOR_UNAVAILABLE, the image kept as not inspected) whose message and details are safe for clients: the
 * original exception, whose message may name the endpoint, the account or a CloudWatch log stream, is kept only as
 * `cause` for logs. An answer without a verdict is refused too: defaulting to "normal" could hide a defect.
 */
export class SageMakerDetector implements Detector {
  private readonly client: SageMakerRuntimeClient;
  private readonly endpointName: string;
  private readonly contentType: string | undefined;

  constructor(options: SageMakerDetectorOptions) {
    this.client = options.client;
    this.endpointName = options.endpointName;
    this.contentType = options.contentType;
  }

  /** Ask the endpoint's model about one validated wafer image. */
  async detect(image: ValidatedWaferImage): Promise<DetectionResult> {
    let body: Uint8Array | undefined;
    let variant: string | undefined;
    try {
      const response = await this.client.send(
        new InvokeEndpointCommand({
          EndpointName: this.endpointName,
          Body: image.bytes,
          ContentType: this.contentType ?? image.contentType,
          Accept: 'application/json',
        }),
      );
      body = response.Body;
      variant = response.InvokedProductionVariant;
    } catch (error) {
      throw toDetectorUnavailable(error);
    }
    const answer = parseModelAnswer(body);
    const result: DetectionResult = {
      IsAnomalous: answer.IsAnomalous,
      Confidence: answer.Confidence,
      Anomalies: answer.Anomalies,
      ...(answer.AnomalyMask ? { AnomalyMask: answer.AnomalyMask } : {}),
      // The endpoint and the production variant that answered: which model judged the wafer, for the record.
      Detector: { name: DETECTOR_NAME, modelVersion: variant ? `${this.endpointName}/${variant}` : this.endpointName },
    };
    return result;
  }
}

/** What the model said, read and checked. */
export interface ModelAnswer {
  IsAnomalous: boolean;
  Confidence: number;
  Anomalies: DetectedAnomaly[];
  AnomalyMask?: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Read the model's raw answer (InvokeEndpoint's Body). Throws DetectorUnavailableError (reason `malformed-answer`)
 * saying what is wrong, without echoing the answer: not UTF-8 JSON, no boolean IsAnomalous, no Confidence in [0, 1],
 * an Anomalies that is not a list, or an AnomalyMask that is not a base64 PNG.
 */
export function parseModelAnswer(body: Uint8Array | undefined): ModelAnswer {
  if (!body || body.byteLength === 0) throw malformed('the answer is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw malformed('the answer is not JSON');
  }
  if (!isObject(parsed)) throw malformed('the answer is not a JSON object');
  const result = isObject(parsed.DetectAnomalyResult) ? parsed.DetectAnomalyResult : parsed;
  if (typeof result.IsAnomalous !== 'boolean') throw malformed('IsAnomalous is missing or not true/false');
  const confidence = result.Confidence;
  if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
    throw malformed('Confidence is missing or not a number from 0 to 1');
  }
  const anomalies = result.Anomalies ?? [];
  if (!Array.isArray(anomalies)) throw malformed('Anomalies is not a list');
  const mask = result.AnomalyMask;
  return {
    IsAnomalous: result.IsAnomalous,
    Confidence: confidence,
    Anomalies: anomalies.map(toDetectedAnomaly),
    ...(mask === undefined || mask === null || mask === '' ? {} : { AnomalyMask: decodeMask(mask) }),
  };
}

/** AnomalyMask as DetectAnomalies sent it on the wire (base64 of a PNG); anything else is a malformed answer. */
function decodeMask(mask: unknown): Uint8Array {
  if (typeof mask !== 'string') throw malformed('AnomalyMask is not a base64 string');
  const text = mask.replace(/\s+/g, '');
  if (!BASE64.test(text)) throw malformed('AnomalyMask is not a base64 string');
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  if (bytes.byteLength < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    throw malformed('AnomalyMask is not a PNG image');
  }
  return bytes;
}

/**
 * One entry of Anomalies, in Lookout's terms (the Marketplace model keeps them): TotalPercentageArea is a fraction of
 * the image (0–1), while DetectionResult promises a percentage (0–100), so it is scaled here, as the Lookout adapter does.
 */
function toDetectedAnomaly(entry: unknown): DetectedAnomaly {
  if (!isObject(entry)) throw malformed('an entry of Anomalies is not an object');
  const pixel = isObject(entry.PixelAnomaly) ? entry.PixelAnomaly : undefined;
  const area = pixel?.TotalPercentageArea;
  return {
    Name: typeof entry.Name === 'string' && entry.Name.length > 0 ? entry.Name : 'unknown',
    ...(typeof area === 'number' && Number.isFinite(area)
      ? { PixelAnomaly: { TotalPercentageArea: clampPercent(area * 100), Color: typeof pixel?.Color === 'string' ? pixel.Color : '#FFFFFF' } }
      : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(problem: string): DetectorUnavailableError {
  return unavailable('malformed-answer', `The anomaly detector gave an answer that cannot be read: ${problem}.`);
}

/**
 * Map an SDK failure of InvokeEndpoint to DetectorUnavailableError. The errors, as the SageMaker Runtime API declares
 * them (and @aws-sdk/client-sagemaker-runtime models them), plus the common ones every AWS API may answer:
 *
 * - ValidationError (400) "Endpoint <name> of account <id> not found.": the endpoint does not exist (deleted, or the
 *   wrong name or region): `endpoint-not-found`. Any other ValidationError refuses the request (a content type or a
 *   size the endpoint does not take): `request-rejected`. The image is kept as not inspected for a re-run either way,
 *   so neither blames the client with a 4xx.
 * - ThrottlingException (a common error, not in the model; SageMaker answers it with HTTP 400): `throttled`, after the
 *   SDK's retries (its standard strategy knows the name), Retry-After 1 s unless the service gave one.
 * - ModelNotReadyException (429): a serverless variant provisioning or a multi-model endpoint loading: `model-not-ready`.
 * - ModelError (424): the model container answered 4xx/5xx (OriginalStatusCode, passed on as `modelStatusCode`):
 *   `model-error`; a busy container (429, 503) gets a Retry-After.
 * - ServiceUnavailable (503), InternalFailure (500), InternalDependencyException (530): `service-error`.
 * - AccessDeniedException: the function's role may not invoke this endpoint: `access-denied`.
 * - Anything without a service fault (timeouts, refused connections, DNS): `network`.
 */
export function toDetectorUnavailable(error: unknown): DetectorUnavailableError {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  const isServiceError = typeof error === 'object' && error !== null && '$fault' in error;
  const retryAfter = retryAfterHeaderSeconds(error);
  let mapped: DetectorUnavailableError;
  switch (isServiceError ? name : undefined) {
    case 'ValidationError':
      mapped = /\bendpoint\b.*\bnot found\b/i.test(messageOf(error))
        ? unavailable('endpoint-not-found', 'The configured anomaly detection endpoint does not exist.')
        : unavailable('request-rejected', 'The anomaly detection endpoint refused the request (for example, an image type or size its model does not take).');
      break;
    case 'ThrottlingException':
      mapped = unavailable('throttled', 'The anomaly detector is busy; try again shortly.', retryAfter ?? DEFAULT_THROTTLE_RETRY_AFTER_SECONDS);
      break;
    case 'ModelNotReadyException':
      mapped = unavailable(
        'model-not-ready',
        'The anomaly detection model is not ready yet; try again shortly.',
        retryAfter ?? DEFAULT_MODEL_NOT_READY_RETRY_AFTER_SECONDS,
      );
      break;
    case 'ModelError': {
      const status = (error as { OriginalStatusCode?: unknown }).OriginalStatusCode;
      const modelStatusCode = typeof status === 'number' && Number.isInteger(status) ? status : undefined;
      const transient = modelStatusCode !== undefined && TRANSIENT_MODEL_STATUS.has(modelStatusCode);
      mapped = unavailable(
        'model-error',
        transient ? 'The anomaly detection model is busy; try again shortly.' : 'The anomaly detection model failed on this image.',
        retryAfter ?? (transient ? DEFAULT_THROTTLE_RETRY_AFTER_SECONDS : undefined),
        modelStatusCode === undefined ? {} : { modelStatusCode },
      );
      break;
    }
    case 'AccessDeniedException':
      mapped = unavailable('access-denied', 'The anomaly detector refused access to the model.');
      break;
    case undefined:
      mapped = unavailable('network', 'The anomaly detector could not be reached.');
      break;
    default:
      // ServiceUnavailable, InternalFailure, InternalDependencyException and anything new.
      mapped = unavailable('service-error', 'The anomaly detector failed; try again shortly.', retryAfter);
  }
  Object.defineProperty(mapped, 'cause', { value: error, enumerable: false });
  return mapped;
}

function unavailable(
  reason: SageMakerUnavailableReason,
  message: string,
  retryAfterSeconds?: number,
  extra: Record<string, unknown> = {},
): DetectorUnavailableError {
  return new DetectorUnavailableError(message, retryAfterSeconds, { detector: DETECTOR_NAME, reason, ...extra });
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown; Message?: unknown }).message ?? (error as { Message?: unknown }).Message;
  return typeof message === 'string' ? message : '';
}
