import { utcDay, type AlertStateStore } from './alert-state';
import { OperatorCallError } from './errors';
import type { AlertFailureCode, AlertOutcome, InspectionRecord } from './inspection';
import type { AlertMessage, DomainLogger, InspectionStore, OperatorCaller } from './ports';

/** When and how often the operator may be rung. */
export interface CallPolicy {
  /** After a call for a station, anomalies on it within this window are folded into its next call. */
  stationCooldownMs: number;
  /** At most this many calls start per UTC day (toll-fraud guard). */
  dailyCallCap: number;
  /** Deliveries of one alert message before it is given up (the queue's maxReceiveCount). */
  maxAttempts: number;
  /** How long one processing attempt holds an alert; at least the function timeout. */
  leaseSeconds: number;
  /** The first retry's delay; each later one doubles it (jittered, at most 15 minutes). */
  retryBaseSeconds: number;
}

/** What placing operator calls talks to, passed in so tests can use fakes and emulators. */
export interface PlaceCallDependencies {
  store: InspectionStore;
  caller: OperatorCaller;
  alertState: AlertStateStore;
  policy: CallPolicy;
  logger: DomainLogger;
  now?: () => Date;
}

/** One delivery of an alert message: which attempt it is (SQS ApproximateReceiveCount, from 1). */
export interface AlertDelivery {
  message: AlertMessage;
  attempt: number;
  /**
   * The message was parked in the dead-letter queue by an earlier delivery and moved back by a person (a DLQ
   * redrive, after fixing the cause): an alert that ended without a call is tried again. A placed call never is.
   */
  redriven?: boolean;
}

/**
 * How one delivery ended. `retry`: leave the message on the queue and deliver it again after
 * `delaySeconds`; `dead-letter`: move it to the dead-letter queue with `reason` (the record says why);
 * every other result deletes the message.
 */
export type PlaceCallResult =
  | { result: 'placed'; contactId: string; foldedCount: number }
  | { result: 'folded'; intoInspectionId: string; foldedCount: number }
  | { result: 'duplicate' }
  | { result: 'retry'; delaySeconds: number; reason: string }
  | { result: 'dead-letter'; code: AlertFailureCode; reason: string };

/** An OperatorCaller failure that says whether trying again later can succeed (throttling, limits, outages). */
export interface RetryableCallFailure {
  retryable: boolean;
}

/**
 * Place the operator call an alert message asks for, exactly once, however often the message is delivered.
 *
 * The alert is claimed under a lease (a redelivered or concurrently delivered message waits or is dropped as a
 * duplicate); a station rung within the cooldown folds the anomaly into its next call instead of ringing; the
 * daily cap is reserved before ringing; Connect is asked with the inspection's idempotency token. Throttling and
 * Connect's limits are retried with exponential backoff until `maxAttempts`; refusals, the cap and exhausted
 * retries end in the dead-letter queue with the reason on the inspection record.
 */
export async function placeOperatorCall(deps: PlaceCallDependencies, delivery: AlertDelivery): Promise<PlaceCallResult> {
  const now = deps.now ?? (() => new Date());
  const { message, attempt } = delivery;
  const context = { inspectionId: message.inspectionId, stationId: message.stationId, attempt };

  if (delivery.redriven && (await deps.alertState.reopenAlert(message.inspectionId))) {
    deps.logger.info('An alert parked in the dead-letter queue was sent back; trying the call again', context);
  }
  const claim = await deps.alertState.claimAlert(message.inspectionId, deps.policy.leaseSeconds);
  if (!claim.claimed) {
    if (claim.state === 'done') {
      deps.logger.info('The alert was already handled; this delivery is a duplicate', { ...context, outcome: claim.outcome });
      if (claim.recordedAlert) await repairRecord(deps, message.inspectionId, claim.recordedAlert);
      return { result: 'duplicate' };
    }
    // Another invocation holds the lease: try again once it has had time to finish (or its lease ran out).
    return { result: 'retry', delaySeconds: deps.policy.leaseSeconds, reason: 'another delivery of this alert is being processed' };
  }

  try {
    const record = await deps.store.getRecord(message.inspectionId);
    if (!record) {
      // The record is written before the alert is queued, so it cannot be missing for long.
      if (attempt < deps.policy.maxAttempts) {
        await deps.alertState.releaseAlert(message.inspectionId);
        return { result: 'retry', delaySeconds: backoffSeconds(attempt, deps.policy.retryBaseSeconds), reason: 'the inspection record is not readable yet' };
      }
      await deps.alertState.completeAlert(message.inspectionId, 'failed');
      return { result: 'dead-letter', code: 'INSPECTION_RECORD_MISSING', reason: 'The inspection record does not exist, so no call was placed.' };
    }

    const startedAt = now();
    const decision = await deps.alertState.tryStartCall(message.stationId, message.inspectionId, startedAt.getTime(), deps.policy.stationCooldownMs);
    if (!decision.call) {
      const folded = await saveAlert(deps, record, { status: 'folded', intoInspectionId: decision.activeCallInspectionId, foldedAt: startedAt.toISOString() });
      await deps.alertState.completeAlert(message.inspectionId, 'folded', folded);
      deps.logger.info('The station was rung recently; the anomaly is told on its next call', { ...context, foldedCount: decision.foldedCount });
      return { result: 'folded', intoInspectionId: decision.activeCallInspectionId, foldedCount: decision.foldedCount };
    }

    const reserved = await deps.alertState.reserveDailyCall(utcDay(startedAt), deps.policy.dailyCallCap, message.inspectionId);
    if (!reserved) {
      const reason = `No call placed: the daily cap of ${deps.policy.dailyCallCap} operator calls is reached (DAILY_CALL_CAP).`;
      return await giveUp(deps, record, message, 'DAILY_CALL_CAP_REACHED', reason, 'capped', now);
    }

    let contactId: string;
    try {
      ({ contactId } = await deps.caller.startCall({ ...message, foldedCount: decision.foldedCount }));
    } catch (error) {
      const reason = error instanceof OperatorCallError ? error.message : 'The operator call could not be placed.';
      deps.logger.warn('Calling the operator failed', { ...context, error: describe(error) });
      if (isRetryable(error)) {
        if (attempt < deps.policy.maxAttempts) {
          // The station keeps this inspection as its current call and the cap keeps its reservation: the retry
          // rings for the same inspection, with the same folded count, and uses no second call of the cap.
          await deps.alertState.releaseAlert(message.inspectionId);
          return { result: 'retry', delaySeconds: backoffSeconds(attempt, deps.policy.retryBaseSeconds), reason };
        }
        return await giveUp(deps, record, message, 'RETRIES_EXHAUSTED', `${reason} Gave up after ${attempt} attempts.`, 'failed', now);
      }
      return await giveUp(deps, record, message, 'CALL_REFUSED', reason, 'failed', now);
    }

    const placedAt = now().toISOString();
    const placed = await saveAlert(deps, record, { status: 'placed', contactId, placedAt, ...(decision.foldedCount > 0 ? { foldedCount: decision.foldedCount } : {}) });
    await deps.alertState.completeAlert(message.inspectionId, 'placed', placed);
    deps.logger.info('Operator call placed', { ...context, contactId, foldedCount: decision.foldedCount });
    return { result: 'placed', contactId, foldedCount: decision.foldedCount };
  } catch (error) {
    // A dependency failed mid-way (the record store, the state table): give the lease back so the redelivery
    // can carry on at once; every step before the call is idempotent for this inspection.
    await deps.alertState.releaseAlert(message.inspectionId).catch(() => undefined);
    throw error;
  }
}

/** End an alert without a call: the station's cooldown is lifted (nobody was rung), the record says why. */
async function giveUp(
  deps: PlaceCallDependencies,
  record: InspectionRecord,
  message: AlertMessage,
  code: AlertFailureCode,
  reason: string,
  outcome: 'failed' | 'capped',
  now: () => Date,
): Promise<PlaceCallResult> {
  await deps.alertState.recordCallFailed(message.stationId, message.inspectionId);
  const failed = await saveAlert(deps, record, { status: 'failed', code, reason, failedAt: now().toISOString() });
  await deps.alertState.completeAlert(message.inspectionId, outcome, failed);
  deps.logger.error('No operator call will be placed for this alert; it goes to the dead-letter queue', {
    inspectionId: message.inspectionId,
    stationId: message.stationId,
    code,
  });
  return { result: 'dead-letter', code, reason };
}

/** Write the alert's outcome on the inspection record; resolves with it as JSON, for the alert state. */
async function saveAlert(deps: PlaceCallDependencies, record: InspectionRecord, alert: AlertOutcome): Promise<string> {
  const now = deps.now ?? (() => new Date());
  // Re-read just before writing: the operator's decision may have been recorded since (a fast answer).
  const latest = (await deps.store.getRecord(record.inspectionId)) ?? record;
  await deps.store.putRecord({ ...latest, alert, updatedAt: now().toISOString() });
  return JSON.stringify(alert);
}

/**
 * Put a finished alert's outcome back on a record that says `queued` again: two uploads of the same bytes racing
 * (the second finishing the first's inspection) can both write the verdict, the later after the call was recorded.
 * The later one's alert message is this duplicate delivery.
 */
async function repairRecord(deps: PlaceCallDependencies, inspectionId: string, recordedAlert: string): Promise<void> {
  const record = await deps.store.getRecord(inspectionId);
  if (record?.alert.status !== 'queued') return;
  const now = deps.now ?? (() => new Date());
  await deps.store.putRecord({ ...record, alert: JSON.parse(recordedAlert) as AlertOutcome, updatedAt: now().toISOString() });
  deps.logger.warn('The record said queued after its alert was handled; the outcome is written back', { inspectionId });
}

/**
 * Exponential backoff after delivery 1, 2, 3…: base, 2×base, 4×base… seconds (at most 15 minutes), jittered by ±20 %
 * so alerts throttled together do not come back together.
 */
export function backoffSeconds(attempt: number, baseSeconds: number, random: () => number = Math.random): number {
  const delay = Math.min(900, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay * (0.8 + 0.4 * random()));
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Partial<RetryableCallFailure>).retryable === true;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Unknown', message: String(error) };
}
