import { DetectAnomaliesCommand, type DetectAnomalyResult, type LookoutVisionClient } from '@aws-sdk/client-lookoutvision';
import type { DetectedAnomaly, DetectionResult } from '../../core/detection';
import type { Detector } from '../../core/ports/detector';
import { DetectorUnavailableError } from '../../core/errors';
import type { ValidatedWaferImage } from '../../core/wafer-image';
import { clampPercent, retryAfterHeaderSeconds } from '../lookout-shaped-answers';

export interface LookoutVisionDetectorOptions {
  client: LookoutVisionClient;
  projectName: string;
  modelVersion: string;
}

/** Why Lookout for Vision could not answer; returned to clients in the 503's details, so it names no resource. */
export type LookoutUnavailableReason =
  | 'throttled'
  | 'model-not-running'
  | 'model-not-found'
  | 'quota-exceeded'
  | 'access-denied'
  | 'image-rejected'
  | 'service-error'
  | 'incomplete-result'
  | 'network';

/** Retry-After we suggest for throttling when the service gave none. */
const DEFAULT_THROTTLE_RETRY_AFTER_SECONDS = 1;

/**
 * Detector backed by a hosted Amazon Lookout for Vision model (DetectAnomalies).
 * Everything that keeps the model from answering, after the SDK's own retries, becomes a
 * DetectorUnavailableError (503 DETECTOR_UNAVAILABLE) with a message safe for clients:
 * the original exception, which may name ARNs or the account, is kept only as `cause` for logs.
 */
export class LookoutVisionDetector implements Detector {
  private readonly client: LookoutVisionClient;
  private readonly projectName: string;
  private readonly modelVersion: string;

  constructor(options: LookoutVisionDetectorOptions) {
    this.client = options.client;
    this.projectName = options.projectName;
    this.modelVersion = options.modelVersion;
  }

  /** Ask the hosted model about one validated wafer image. */
  async detect(image: ValidatedWaferImage): Promise<DetectionResult> {
    let result: DetectAnomalyResult | undefined;
    try {
      const response = await this.client.send(
        new DetectAnomaliesCommand({
          ProjectName: this.projectName,
          ModelVersion: this.modelVersion,
          Body: image.bytes,
          ContentType: image.contentType,
        }),
      );
      result = response.DetectAnomalyResult;
    } catch (error) {
      throw toDetectorUnavailable(error);
    }
    // Without a verdict and a confidence we cannot decide; defaulting to "normal" could hide a defect.
    if (!result || typeof result.IsAnomalous !== 'boolean' || typeof result.Confidence !== 'number') {
      throw unavailable('incomplete-result', 'The anomaly detector returned an incomplete result.');
    }
    return {
      IsAnomalous: result.IsAnomalous,
      Confidence: result.Confidence,
      Anomalies: (result.Anomalies ?? []).map(toDetectedAnomaly),
      ...(result.AnomalyMask && result.AnomalyMask.byteLength > 0 ? { AnomalyMask: result.AnomalyMask } : {}),
      Detector: { name: 'lookoutvision', modelVersion: this.modelVersion },
    };
  }
}

/**
 * Lookout reports TotalPercentageArea as a fraction of the image (0–1; AWS's own examples
 * compare it with limits "float 0-1" and print it with a % format), while DetectionResult
 * promises a percentage (0–100), so it is scaled here, once.
 */
function toDetectedAnomaly(anomaly: NonNullable<DetectAnomalyResult['Anomalies']>[number]): DetectedAnomaly {
  const pixel = anomaly.PixelAnomaly;
  return {
    Name: anomaly.Name ?? 'unknown',
    ...(pixel && typeof pixel.TotalPercentageArea === 'number'
      ? { PixelAnomaly: { TotalPercentageArea: clampPercent(pixel.TotalPercentageArea * 100), Color: pixel.Color ?? '#FFFFFF' } }
      : {}),
  };
}

/**
 * Map an SDK failure to DetectorUnavailableError.
 *
 * - ThrottlingException (429), ServiceQuotaExceededException, InternalServerException (5xx):
 *   transient; Retry-After from the exception's RetryAfterSeconds (the SDK reads the Retry-After header).
 * - ConflictException (409): what DetectAnomalies answers when the model version is not HOSTED
 *   (stopped, starting, stopping): the only declared error of the operation about resource state.
 * - ResourceNotFoundException (404): unknown project or model version, a configuration problem.
 * - ValidationException (400) on an image our validator already accepted: most likely the image's
 *   dimensions differ from the model's training images, or the configured names are malformed.
 *   The client cannot fix either by resending, and the image is saved as not inspected for a re-run,
 *   so this is a 503 too (reason `image-rejected`), not a 4xx that would blame the client.
 * - AccessDeniedException: the function's IAM role is wrong; still the detector being unavailable.
 * - Anything without a service fault (timeouts, refused connections, DNS): `network`.
 */
export function toDetectorUnavailable(error: unknown): DetectorUnavailableError {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  const isServiceError = typeof error === 'object' && error !== null && '$fault' in error;
  const retryAfter = readRetryAfterSeconds(error);
  let mapped: DetectorUnavailableError;
  switch (isServiceError ? name : undefined) {
    case 'ThrottlingException':
      mapped = unavailable('throttled', 'The anomaly detector is busy; try again shortly.', retryAfter ?? DEFAULT_THROTTLE_RETRY_AFTER_SECONDS);
      break;
    case 'ServiceQuotaExceededException':
      mapped = unavailable('quota-exceeded', 'The anomaly detector is at its capacity limit; try again later.', retryAfter);
      break;
    case 'ConflictException':
      mapped = unavailable('model-not-running', 'The anomaly detection model is not running.');
      break;
    case 'ResourceNotFoundException':
      mapped = unavailable('model-not-found', 'The configured anomaly detection model does not exist.');
      break;
    case 'AccessDeniedException':
      mapped = unavailable('access-denied', 'The anomaly detector refused access to the model.');
      break;
    case 'ValidationException':
      mapped = unavailable(
        'image-rejected',
        "The anomaly detector could not analyse this image (for example, its size differs from the model's training images).",
      );
      break;
    case undefined:
      mapped = unavailable('network', 'The anomaly detector could not be reached.');
      break;
    default:
      mapped = unavailable('service-error', 'The anomaly detector failed; try again shortly.', retryAfter);
  }
  Object.defineProperty(mapped, 'cause', { value: error, enumerable: false });
  return mapped;
}

function unavailable(reason: LookoutUnavailableReason, message: string, retryAfterSeconds?: number): DetectorUnavailableError {
  return new DetectorUnavailableError(message, retryAfterSeconds, { detector: 'lookoutvision', reason });
}

function readRetryAfterSeconds(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fromShape = (error as { RetryAfterSeconds?: unknown }).RetryAfterSeconds;
  if (typeof fromShape === 'number' && Number.isFinite(fromShape) && fromShape >= 0) return Math.ceil(fromShape);
  return retryAfterHeaderSeconds(error);
}
