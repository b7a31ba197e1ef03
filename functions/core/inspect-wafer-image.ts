import { anomalyLikelihood, decideAlert, toWholePercent, type AlertPolicy } from './alert-policy';
import type { DetectionResult } from './detection';
import type { Detector } from './ports/detector';
import type { ImageDecoder } from './ports/image-decoder';
import { AlertQueueUnavailableError, DetectorUnavailableError, StorageUnavailableError, UnknownStationError, WaferwatchError } from './errors';
import type { AlertStateStore, CallDecision, ImageClaims } from './ports/alert-state-store';
import type { AlertOutcome, InspectionRecord, InspectionSource, StoredDetection } from './inspection';
import { cooldownEndTimer, stationCooldownMs } from './escalation-ladder';
import { inspectionKeys, newInspectionId } from './inspection-keys';
import type { AlertMessage, AlertPublisher } from './ports/alert-queue';
import type { DomainLogger } from './ports/domain-logger';
import type { InspectionEvents } from './ports/inspection-events';
import type { InspectionStore } from './ports/inspection-store';
import { DEFAULT_STATION_ID, modelSpecOf, type ModelSpec, type Station } from './station-registry';
import { checkWaferImage, type WaferImageLimits } from './validate-wafer-image';

/** Everything the inspection pipeline talks to, passed in so tests can use fakes. */
export interface InspectionDependencies {
  store: InspectionStore;
  /** The stage's detector: for stations without a model of their own (and every station without a registry). */
  detector: Detector;
  /**
   * The detector of a station that names its own model in the registry, loaded once and kept (within a memory bound)
   * by the adapter. A model that cannot load is answered like a detector that cannot: the image is kept, not inspected.
   * Absent: every station uses `detector`.
   */
  detectorFor?: (model: ModelSpec) => Promise<Detector>;
  /** The decode check of an image before anything is stored, unless the detector decodes it itself (Detector.prepare). */
  decoder: ImageDecoder;
  /** Where an anomalous inspection queues its operator alert. */
  alerts: AlertPublisher;
  /** Which inspection first saw an image's bytes, so the same image sent again is not inspected (or called) twice. */
  imageClaims: ImageClaims;
  alertPolicy: AlertPolicy;
  /**
   * The station registry, when there is one: an image from a station it does not have is refused before anything is
   * stored, inspected or counted, and a station's own thresholds replace `alertPolicy`'s. Absent: every station id is
   * accepted and the stage-wide thresholds apply.
   */
  stations?: (stationId: string) => Promise<Station | undefined>;
  /**
   * The station cooldown, decided as the verdict is stored (the alert state's tryStartCall): an anomaly on a station
   * rung within its cooldown is recorded `folded` here and never queued, so a station's first anomaly never waits on
   * the alert queue behind other stations' fold bookkeeping. The first fold of a cooldown puts the cooldown's end on
   * the queue (a delayed message), so the folds are told then. Absent, or failing: the alert is queued and the
   * place-call function decides, as it always can.
   */
  stationCalls?: { tryStartCall: AlertStateStore['tryStartCall']; cooldownMs: number };
  limits: WaferImageLimits;
  logger: DomainLogger;
  /** Told what happened (the metrics); nothing when absent. */
  events?: InspectionEvents;
  /**
   * How long to wait, step by step (ms), for the record of another upload of the same bytes that is still running,
   * before finishing its inspection here. Default EARLIER_INSPECTION_WAITS_MS.
   */
  earlierInspectionWaitsMs?: readonly number[];
  now?: () => Date;
  /** A monotonic clock in milliseconds, for the steps' durations (InspectionSteps). Default performance.now. */
  clock?: () => number;
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
  /** True when the bytes were inspected before: `record` is that inspection's verdict (or, on the camera path, its alias). */
  duplicate?: boolean;
  /** How long the inspection's steps took; absent for bytes inspected before. */
  steps?: InspectionSteps;
}

/**
 * How long each step of an inspection took, in milliseconds, in the order they run: where an upload's time went, for
 * the logs ('Wafer inspected') and the API's Server-Timing header. Work started beside a step is part of it.
 */
export interface InspectionSteps {
  /** The checks before the decode: the station's thresholds and model, the image's bytes and headers. */
  checks: number;
  /** Decoding the pixels (the detector's decode when it has one), with the claim of the bytes beside it. */
  decode: number;
  /** The detector's answer, with the image's upload to storage beside it. */
  detect: number;
  /** The station's cooldown deciding whether an anomaly rings or folds; only for anomalies that call. */
  cooldown?: number;
  /** Storing the verdict (and the mask beside it; for a cooldown's first fold, also the timer of the cooldown's end). */
  record: number;
  /** Putting the operator alert on the queue; only when one is queued. */
  queue?: number;
  total: number;
}

/**
 * Inspect one wafer image: validate it, then store it and ask the detector at the same time, record
 * the verdict beside the image, and queue the operator alert when the policy says so.
 *
 * Nothing is stored for a rejected image. The same bytes sent again (a client's retry, a camera sending a frame
 * twice) are the same inspection: its verdict is answered, and nothing is stored or alerted twice. When the detector
 * cannot answer, the image and a `not-inspected` record are still kept and DetectorUnavailableError (with the
 * inspection id) is thrown; sending the image again inspects it under the same id. When the alert queue cannot take
 * the alert, the record says `not-queued` and AlertQueueUnavailableError is thrown; sending the image again queues it.
 */
export async function inspectWaferImage(deps: InspectionDependencies, request: InspectionRequest): Promise<InspectionOutcome> {
  const now = deps.now ?? (() => new Date());
  const step = stepTimer(deps.clock ?? (() => performance.now()));
  const { policy: alertPolicy, station } = await stationPolicy(deps, request.stationId);
  const image = checkWaferImage(request.bytes, deps.limits);
  const detector = await stationDetector(deps, station);
  const createdAt = now();
  const requestedId = request.inspectionId ?? newInspectionId(createdAt.getTime());
  const checks = step();
  // The decode check comes before anything is stored; a detector that decodes for itself does it, so the image is
  // decoded once (a full-size progressive JPEG costs ~80-130 ms to decode here). The bytes are claimed meanwhile: the
  // decode runs on libvips' threads, so the claim's round trip costs the answer nothing. Pixels that do not decode give
  // their claim back, and the same bytes sent again are judged afresh at once.
  const [decoded, claimed] = await Promise.allSettled([
    detector.prepare ? detector.prepare(image) : deps.decoder.assertDecodable(image, deps.limits.maxSide),
    claimImage(deps, image.sha256, requestedId),
  ]);
  if (decoded.status === 'rejected') {
    if (claimed.status === 'fulfilled' && claimed.value === requestedId) await releaseClaim(deps, image.sha256, requestedId);
    throw decoded.reason;
  }
  if (claimed.status === 'rejected') throw claimed.reason;
  const decode = step();
  const prepared = decoded.value;
  const inspectionId = claimed.value;

  // Bytes seen before, or a camera upload's event delivered again: the earlier inspection's verdict stands. Bytes
  // claimed by another upload that has no record yet are most likely still being inspected by it: wait for its verdict
  // rather than inspect them a second time under its id (with this upload's station).
  const earlier =
    inspectionId !== requestedId ? await awaitRecord(deps, inspectionId) : request.source === 'camera' ? await readRecord(deps, inspectionId) : undefined;
  if (earlier && earlier.status !== 'not-inspected') {
    const verdict = earlier.alert.status === 'not-queued' ? await queueAlert(deps, earlier, now) : earlier;
    const record = inspectionId !== requestedId && request.source === 'camera' ? await saveDuplicate(deps, requestedId, verdict, createdAt) : verdict;
    deps.logger.info('The image was inspected before; its verdict stands', { inspectionId: requestedId, duplicateOf: inspectionId });
    const maskKey = verdict.detection?.anomalyMaskKey;
    const anomalyMask = maskKey ? await deps.store.getObject(maskKey).catch(() => undefined) : undefined;
    return { record, duplicate: true, ...(anomalyMask ? { anomalyMask } : {}) };
  }
  // Otherwise this is the first inspection of the bytes, or it finishes one that stopped before its verdict was stored
  // (a detector or storage failure, or the first upload still running): under the same id, so the image is stored once.

  const keys = inspectionKeys(inspectionId, image.format);
  const context = { inspectionId, stationId: request.stationId };
  const [stored, detected] = await Promise.allSettled([
    // A not-inspected record means the image is already stored under these keys.
    earlier ? Promise.resolve() : deps.store.putImage(keys.image, image, { inspectionId, stationId: request.stationId, source: request.source }),
    detector.detect(image, prepared),
  ]);
  const detect = step();
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
    createdAt: earlier?.createdAt ?? createdAt.toISOString(),
    updatedAt: createdAt.toISOString(),
  };

  if (detected.status === 'rejected') {
    const failure: unknown = detected.reason;
    const detectionError =
      failure instanceof WaferwatchError
        ? { code: failure.code, message: failure.message }
        : { code: 'INTERNAL_ERROR', message: 'The detector failed unexpectedly.' };
    deps.logger.error('Detection failed; the image is kept as not inspected', { ...context, error: describe(failure) });
    const notInspected: InspectionRecord = { ...baseRecord, detectionError };
    await saveRecord(deps, notInspected);
    deps.events?.recorded(notInspected, earlier === undefined);
    if (failure instanceof DetectorUnavailableError) {
      throw new DetectorUnavailableError(failure.message, failure.retryAfterSeconds, { ...failure.details, inspectionId });
    }
    throw failure;
  }

  const detection = detected.value;
  const decision = decideAlert(detection, alertPolicy);
  // The mask is written while the verdict is decided and stored, not before it: the record names the mask's key at
  // once (a reader that comes before the mask is there sees the verdict without its overlay for those milliseconds),
  // and the key is taken out again below in the rare case the mask could not be stored.
  const maskStored = storeMask(deps, keys.mask, detection, context);
  const maskKey = detection.AnomalyMask ? keys.mask : undefined;
  const gate = decision.call ? await decideStationCall(deps, inspectionId, request.stationId, station, now) : undefined;
  const cooldown = decision.call ? step() : undefined;
  const alert: AlertOutcome = !decision.call
    ? decision.outcome
    : gate && !gate.call
      ? { status: 'folded', intoInspectionId: gate.activeCallInspectionId, foldedAt: now().toISOString() }
      : { status: 'queued', queuedAt: now().toISOString() };
  const firstVerdict: InspectionRecord = {
    ...baseRecord,
    status: decision.status,
    detection: toStoredDetection(detection, maskKey),
    alert,
    updatedAt: now().toISOString(),
  };
  // The verdict is stored before the alert is queued: the place-call function reads it and records the call on it.
  await saveRecord(deps, firstVerdict);
  const maskLost = maskKey !== undefined && (await maskStored) === undefined;
  if (maskLost) await forgetMask(deps, inspectionId);
  const verdict: InspectionRecord = maskLost ? { ...firstVerdict, detection: toStoredDetection(detection, undefined) } : firstVerdict;
  deps.events?.recorded(verdict, earlier === undefined);
  if (gate && !gate.call) {
    deps.events?.alertFolded?.(verdict);
    if (gate.foldedCount === 1) await scheduleCooldownEnd(deps, request.stationId, gate.cooldownEndsAtMs, now);
  }
  const recorded = step();
  const told = gate?.call ? { foldedCount: gate.foldedCount, foldedInspectionIds: gate.foldedInspectionIds ?? [] } : undefined;
  const queues = alert.status === 'queued' && decision.call;
  const record = queues ? await queueAlert(deps, verdict, now, decision.confidencePercent, told) : verdict;
  const steps: InspectionSteps = {
    checks,
    decode,
    detect,
    ...(cooldown !== undefined ? { cooldown } : {}),
    record: recorded,
    ...(queues ? { queue: step() } : {}),
    total: step.total(),
  };
  deps.logger.info('Wafer inspected', { ...context, status: record.status, confidence: detection.Confidence, alert: record.alert.status, stepsMs: steps });
  // A camera upload that finished another upload's inspection of the same bytes still answers under its own id.
  const answered = inspectionId !== requestedId && request.source === 'camera' ? await saveDuplicate(deps, requestedId, record, createdAt) : record;
  return detection.AnomalyMask ? { record: answered, anomalyMask: detection.AnomalyMask, steps } : { record: answered, steps };
}

/** A stopwatch of the steps: each call answers the time since the previous one (or the start); `total` since the start. */
function stepTimer(clock: () => number): { (): number; total(): number } {
  const started = clock();
  let last = started;
  // A tenth of a millisecond is as fine as a log reader needs.
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const lap = () => {
    const at = clock();
    const ms = at - last;
    last = at;
    return round(ms);
  };
  return Object.assign(lap, { total: () => round(clock() - started) });
}

/**
 * The detector that judges this station's wafers: its own model when the registry names one, else the stage's. A model
 * that cannot be loaded answers every detect() with the load failure, so the image is still checked, stored and kept
 * as not inspected (and can be inspected again later) rather than refused or judged by another station's model.
 */
async function stationDetector(deps: InspectionDependencies, station: Station | undefined): Promise<Detector> {
  if (!station?.model || !deps.detectorFor) return deps.detector;
  try {
    return await deps.detectorFor(modelSpecOf(station.model));
  } catch (error) {
    deps.logger.error("The station's model could not be loaded", { stationId: station.id, model: modelSpecOf(station.model).uri, error: describe(error) });
    return {
      detect: () =>
        Promise.reject(
          error instanceof DetectorUnavailableError
            ? error
            : new DetectorUnavailableError("The station's model could not be loaded; the image is kept and can be inspected later."),
        ),
    };
  }
}

/** The thresholds for a station (and the station, with a registry), after refusing a station the registry does not have. */
async function stationPolicy(deps: InspectionDependencies, stationId: string): Promise<{ policy: AlertPolicy; station?: Station }> {
  if (!deps.stations) return { policy: deps.alertPolicy };
  let station: Station | undefined;
  try {
    station = await deps.stations(stationId);
  } catch (error) {
    deps.logger.error('Reading the station registry failed', { stationId, error: describe(error) });
    throw new StorageUnavailableError('The station registry could not be read right now; send the image again shortly.');
  }
  if (!station) throw new UnknownStationError(stationId === DEFAULT_STATION_ID ? undefined : stationId);
  const confidenceThreshold = station.confidenceThreshold ?? deps.alertPolicy.confidenceThreshold;
  const reviewThreshold = Math.min(station.reviewThreshold ?? deps.alertPolicy.reviewThreshold, confidenceThreshold);
  return { policy: { confidenceThreshold, reviewThreshold }, station };
}

/**
 * Ask the station's cooldown whether this anomaly rings or folds (idempotent per inspection: a retried upload gets the
 * same answer). A failure is not the upload's: the alert is queued and place-call asks again.
 */
async function decideStationCall(
  deps: InspectionDependencies,
  inspectionId: string,
  stationId: string,
  station: Station | undefined,
  now: () => Date,
): Promise<CallDecision | undefined> {
  if (!deps.stationCalls) return undefined;
  const cooldownMs = stationCooldownMs(station, deps.stationCalls.cooldownMs);
  try {
    return await deps.stationCalls.tryStartCall(stationId, inspectionId, now().getTime(), cooldownMs);
  } catch (error) {
    deps.logger.warn('The station cooldown could not be asked; the alert is queued for place-call to decide', {
      inspectionId,
      stationId,
      error: describe(error),
    });
    return undefined;
  }
}

/** Put the end of a station's cooldown on the alert queue, so the anomalies folded during it are told then. */
async function scheduleCooldownEnd(deps: InspectionDependencies, stationId: string, dueAtMs: number, now: () => Date): Promise<void> {
  const { message, delaySeconds } = cooldownEndTimer(stationId, dueAtMs, now());
  try {
    await deps.alerts.publish(message, delaySeconds);
  } catch (error) {
    // The fold is stored; without its timer it is still told by the station's next call.
    deps.logger.error('The end of the station cooldown could not be put on the queue; its folds wait for the next call', { stationId, error: describe(error) });
  }
}

/** The inspection that first saw these bytes (`inspectionId` itself when none did). */
async function claimImage(deps: InspectionDependencies, sha256: string, inspectionId: string): Promise<string> {
  try {
    const claim = await deps.imageClaims.claim(sha256, inspectionId);
    return claim.firstSeen ? inspectionId : claim.inspectionId;
  } catch (error) {
    deps.logger.error('Checking the image against earlier uploads failed', { inspectionId, error: describe(error) });
    throw new StorageUnavailableError('The image could not be checked against earlier uploads right now; send it again shortly.');
  }
}

/** Give back the claim of bytes whose pixels do not decode; failing only keeps them claimed until the claim expires. */
async function releaseClaim(deps: InspectionDependencies, sha256: string, inspectionId: string): Promise<void> {
  try {
    await deps.imageClaims.release(sha256, inspectionId);
  } catch (error) {
    deps.logger.warn('The claim of an image that does not decode could not be given back', { inspectionId, error: describe(error) });
  }
}

/** About 3 s in all: longer than an inspection takes, short enough for a client retrying after a failed one. */
export const EARLIER_INSPECTION_WAITS_MS: readonly number[] = [100, 200, 400, 800, 1500];

/** The record of an inspection another upload started, once it has one (or undefined when it never comes). */
async function awaitRecord(deps: InspectionDependencies, inspectionId: string): Promise<InspectionRecord | undefined> {
  let record = await readRecord(deps, inspectionId);
  for (const waitMs of deps.earlierInspectionWaitsMs ?? EARLIER_INSPECTION_WAITS_MS) {
    // Any record ends the wait: a not-inspected one means that upload is over (its detector failed).
    if (record) break;
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    record = await readRecord(deps, inspectionId);
  }
  return record;
}

async function readRecord(deps: InspectionDependencies, inspectionId: string): Promise<InspectionRecord | undefined> {
  try {
    return await deps.store.getRecord(inspectionId);
  } catch (error) {
    deps.logger.error('Reading the earlier inspection failed', { inspectionId, error: describe(error) });
    throw new StorageUnavailableError('The earlier inspection of this image could not be read right now; send it again shortly.', { inspectionId });
  }
}

/**
 * Put the alert of an anomalous verdict on the queue and mark the record `queued`. When the queue cannot take it,
 * the record says `not-queued` (the alarm on CallsFailed sees it) and the client is told to send the image again.
 */
async function queueAlert(
  deps: InspectionDependencies,
  verdict: InspectionRecord,
  now: () => Date,
  confidencePercent?: number,
  told?: { foldedCount: number; foldedInspectionIds: string[] },
): Promise<InspectionRecord> {
  const queuedAt = verdict.alert.status === 'queued' ? verdict.alert.queuedAt : now().toISOString();
  const queued: InspectionRecord = verdict.alert.status === 'queued' ? verdict : { ...verdict, alert: { status: 'queued', queuedAt }, updatedAt: queuedAt };
  if (queued !== verdict) await saveRecord(deps, queued);
  const message: AlertMessage = {
    inspectionId: verdict.inspectionId,
    stationId: verdict.stationId,
    confidencePercent: confidencePercent ?? (verdict.detection ? toWholePercent(anomalyLikelihood(verdict.detection)) : 0),
    queuedAt,
    // The station's cooldown already handed this call its folds: place-call rings with them.
    ...(told && told.foldedCount > 0 ? { foldedCount: told.foldedCount } : {}),
    ...(told && told.foldedInspectionIds.length > 0 ? { foldedInspectionIds: told.foldedInspectionIds } : {}),
  };
  try {
    await deps.alerts.publish(message);
    return queued;
  } catch (error) {
    deps.logger.error('Queueing the operator alert failed', { inspectionId: verdict.inspectionId, error: describe(error) });
    const failedAt = now().toISOString();
    const reason = 'The operator alert could not be queued; send the image again to queue it.';
    const notQueued: InspectionRecord = { ...verdict, alert: { status: 'not-queued', reason, failedAt }, updatedAt: failedAt };
    await saveRecord(deps, notQueued);
    deps.events?.alertNotQueued(notQueued);
    throw new AlertQueueUnavailableError(verdict.inspectionId);
  }
}

/** The record of a camera upload whose bytes another inspection already has: its verdict, pointing there, no alert. */
async function saveDuplicate(deps: InspectionDependencies, inspectionId: string, verdict: InspectionRecord, at: Date): Promise<InspectionRecord> {
  const { decision: _decision, ...rest } = verdict;
  const record: InspectionRecord = {
    ...rest,
    inspectionId,
    source: 'camera',
    duplicateOf: verdict.inspectionId,
    alert: { status: 'skipped', reason: 'duplicate' },
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
  await saveRecord(deps, record);
  return record;
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
async function storeMask(deps: InspectionDependencies, key: string, detection: DetectionResult, context: Record<string, string>): Promise<string | undefined> {
  if (!detection.AnomalyMask) return undefined;
  try {
    await deps.store.putMask(key, detection.AnomalyMask);
    return key;
  } catch (error) {
    deps.logger.warn('Storing the anomaly mask failed', { ...context, error: describe(error) });
    return undefined;
  }
}

/**
 * Take the mask's key out of a stored verdict whose mask could not be stored, so no reader looks for it. Read-modify-write,
 * so nothing another writer put on the record meanwhile is lost; failing costs nothing but a key that leads nowhere.
 */
async function forgetMask(deps: InspectionDependencies, inspectionId: string): Promise<void> {
  try {
    await deps.store.updateRecord(inspectionId, (current) => {
      if (!current?.detection?.anomalyMaskKey) return undefined;
      const { anomalyMaskKey: _key, ...detection } = current.detection;
      return { ...current, detection };
    });
  } catch (error) {
    deps.logger.warn('The record still names the mask that could not be stored', { inspectionId, error: describe(error) });
  }
}

function toStoredDetection(detection: DetectionResult, anomalyMaskKey: string | undefined): StoredDetection {
  const { AnomalyMask: _mask, ...rest } = detection;
  return anomalyMaskKey ? { ...rest, anomalyMaskKey } : rest;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Unknown', message: String(error) };
}
