import { decideAlert, type AlertPolicy } from './alert-policy';
import type { DetectionResult, Detector } from './detection';
import { DetectorUnavailableError, OperatorCallError, StorageUnavailableError, WaferwatchError } from './errors';
import type { AlertOutcome, InspectionRecord, InspectionSource, StoredDetection } from './inspection';
import { inspectionKeys, newInspectionId } from './inspection-keys';
import type { DomainLogger, InspectionStore, OperatorAlert, OperatorCaller } from './ports';
import { assertDecodable, checkWaferImage, type WaferImageLimits } from './validate-wafer-image';

/** Everything the inspection pipeline talks to, passed in so tests can use fakes. */
export interface InspectionDependencies {
  store: InspectionStore;
  detector: Detector;
  caller: OperatorCaller;
  alertPolicy: AlertPolicy;
  limits: WaferImageLimits;
  logger: DomainLogger;
  now?: () => Date;
}

/** One wafer image to inspect, as received. */
export interface InspectionRequest {
  bytes: Uint8Array;
  stationId: string;
  source: InspectionSource;
  /** An id minted earlier (the camera path mints it when it hands out the upload); a new one is minted when absent. */
  inspectionId?: string;
}

/** The result of an inspection: its record and, when the detector drew one, the anomaly mask PNG. */
export interface InspectionOutcome {
  record: InspectionRecord;
  anomalyMask?: Uint8Array;
}

/**
 * Inspect one wafer image: validate it, then store it and ask the detector at the same time, record
 * the verdict beside the image, and ring the operator when the policy says so.
 *
 * Nothing is stored for a rejected image. When the detector cannot answer, the image and a
 * `not-inspected` record are still kept and DetectorUnavailableError (with the inspection id) is thrown.
 * A failed call never fails the inspection: it is recorded as the alert outcome.
 */
export async function inspectWaferImage(deps: InspectionDependencies, request: InspectionRequest): Promise<InspectionOutcome> {
  const now = deps.now ?? (() => new Date());
  const image = checkWaferImage(request.bytes, deps.limits);
  // The decode check comes before anything is stored; a detector that decodes for itself does it, so
  // the image is decoded once (a full-size progressive JPEG costs ~80-130 ms to decode here).
  const prepared = deps.detector.prepare ? await deps.detector.prepare(image) : await assertDecodable(image, deps.limits.maxSide);
  const createdAt = now();
  const inspectionId = request.inspectionId ?? newInspectionId(createdAt.getTime());
  const keys = inspectionKeys(inspectionId, image.format);
  const context = { inspectionId, stationId: request.stationId };

  const [stored, detected] = await Promise.allSettled([
    deps.store.putImage(keys.image, image, { inspectionId, stationId: request.stationId, source: request.source }),
    deps.detector.detect(image, prepared),
  ]);
  if (stored.status === 'rejected') {
    deps.logger.error('Storing the wafer image failed', { ...context, error: describe(stored.reason) });
    throw new StorageUnavailableError();
  }

  const baseRecord: InspectionRecord = {
    inspectionId,
    stationId: request.stationId,
    source: request.source,
    status: 'not-inspected',
    image: {
      key: keys.image,
      contentType: image.contentType,
      sizeBytes: image.sizeBytes,
      width: image.width,
      height: image.height,
      sha256: image.sha256,
    },
    alert: { status: 'skipped', reason: 'not-inspected' },
    createdAt: createdAt.toISOString(),
    updatedAt: createdAt.toISOString(),
  };

  if (detected.status === 'rejected') {
    const failure = detected.reason;
    const detectionError =
      failure instanceof WaferwatchError
        ? { code: failure.code, message: failure.message }
        : { code: 'INTERNAL_ERROR', message: 'The detector failed unexpectedly.' };
    deps.logger.error('Detection failed; the image is kept as not inspected', { ...context, error: describe(failure) });
    await saveRecord(deps, { ...baseRecord, detectionError });
    if (failure instanceof DetectorUnavailableError) {
      throw new DetectorUnavailableError(failure.message, failure.retryAfterSeconds, { ...failure.details, inspectionId });
    }
    throw failure;
  }

  const detection = detected.value;
  const decision = decideAlert(detection, deps.alertPolicy);
  const [maskKey, alert] = await Promise.all([
    storeMask(deps, keys.mask, detection, context),
    decision.call ? callOperator(deps, { ...context, confidencePercent: decision.confidencePercent }, now) : decision.outcome,
  ]);
  const record: InspectionRecord = {
    ...baseRecord,
    status: decision.status,
    detection: toStoredDetection(detection, maskKey),
    alert,
    updatedAt: now().toISOString(),
  };
  await saveRecord(deps, record);
  deps.logger.info('Wafer inspected', { ...context, status: record.status, confidence: detection.Confidence, alert: alert.status });
  return detection.AnomalyMask && maskKey ? { record, anomalyMask: detection.AnomalyMask } : { record };
}

async function saveRecord(deps: InspectionDependencies, record: InspectionRecord): Promise<void> {
  try {
    await deps.store.putRecord(record);
  } catch (error) {
    deps.logger.error('Storing the inspection record failed', { inspectionId: record.inspectionId, error: describe(error) });
    throw new StorageUnavailableError('The inspection record could not be stored right now; send the image again shortly.', {
      inspectionId: record.inspectionId,
    });
  }
}

/** Keep the mask beside the image; a mask that cannot be stored costs the overlay, not the inspection. */
async function storeMask(
  deps: InspectionDependencies,
  key: string,
  detection: DetectionResult,
  context: Record<string, string>,
): Promise<string | undefined> {
  if (!detection.AnomalyMask) return undefined;
  try {
    await deps.store.putMask(key, detection.AnomalyMask);
    return key;
  } catch (error) {
    deps.logger.warn('Storing the anomaly mask failed', { ...context, error: describe(error) });
    return undefined;
  }
}

async function callOperator(deps: InspectionDependencies, alert: OperatorAlert, now: () => Date): Promise<AlertOutcome> {
  try {
    const { contactId } = await deps.caller.startCall(alert);
    return { status: 'placed', contactId, placedAt: now().toISOString() };
  } catch (error) {
    deps.logger.error('Calling the operator failed', { inspectionId: alert.inspectionId, stationId: alert.stationId, error: describe(error) });
    const reason = error instanceof OperatorCallError ? error.message : 'The operator call could not be placed.';
    return { status: 'failed', reason, failedAt: now().toISOString() };
  }
}

function toStoredDetection(detection: DetectionResult, anomalyMaskKey: string | undefined): StoredDetection {
  const { AnomalyMask: _mask, ...rest } = detection;
  return anomalyMaskKey ? { ...rest, anomalyMaskKey } : rest;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Unknown', message: String(error) };
}
