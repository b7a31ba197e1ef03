import { anomalyLikelihood, toWholePercent } from './alert-policy';
import { callKeyOf, cooldownEndTimer, ladderPosition, MAX_TIMER_SECONDS, stationCooldownMs, stepEndedUnanswered } from './escalation-ladder';
import type { AlertStateStore } from './ports/alert-state-store';
import type { EscalationStore, LadderState } from './ports/escalation-store';
import { OperatorCallError } from './errors';
import type { AlertFailureCode, AlertOutcome, CallAttempt, CallKind, InspectionRecord } from './inspection';
import { maskPhoneNumber } from './phone-number';
import type { AlertMessage, AlertPublisher, AlertQueueMessage, CooldownEndMessage, EscalationMessage } from './ports/alert-queue';
import type { AlertNotifier } from './ports/alert-notifier';
import type { DomainLogger } from './ports/domain-logger';
import type { InspectionStore } from './ports/inspection-store';
import type { OperatorCaller, RetryableCallFailure } from './ports/operator-caller';
import type { StationLookup } from './ports/station-registry';
import { contactsOnShift, isOnShift, type Station } from './station-registry';

/** When and how often people may be rung. */
export interface CallPolicy {
  /** After a call for a station, anomalies on it within this window are folded into its next call (a station may override it). */
  stationCooldownMs: number;
  /** At most this many calls start per UTC day over all stations (the ceiling; toll-fraud guard); every call of a ladder counts. */
  dailyCallCap: number;
  /** At most this many calls start per UTC day for one station, unless its registry entry says otherwise (dailyCallCap). */
  stationDailyCallCap: number;
  /** Deliveries of one alert message before it is given up (the queue's maxReceiveCount). */
  maxAttempts: number;
  /** How long one processing attempt holds an alert; at least the function timeout. */
  leaseSeconds: number;
  /** The first retry's delay; each later one doubles it (jittered, at most 15 minutes). */
  retryBaseSeconds: number;
  /** How long a ladder step waits for a key before the next level rings (at most 900: SQS's longest delay). */
  ackTimeoutSeconds: number;
  /** How many times the whole ladder is rung before the alert is unacknowledged. */
  escalationLoops: number;
}

/** What placing operator calls talks to, passed in so tests can use fakes and emulators. */
export interface PlaceCallDependencies {
  store: InspectionStore;
  caller: OperatorCaller;
  alertState: AlertStateStore;
  ladders: EscalationStore;
  stations: StationLookup;
  /** The alert queue itself: the ladder's timers and the cooldown's are delayed messages on it. */
  timers: AlertPublisher;
  notifier: AlertNotifier;
  policy: CallPolicy;
  logger: DomainLogger;
  now?: () => Date;
}

/** One delivery of a message of the alert queue: which attempt it is (SQS ApproximateReceiveCount, from 1). */
export interface AlertDelivery<Message extends AlertQueueMessage = AlertQueueMessage> {
  message: Message;
  attempt: number;
  /**
   * The message was parked in the dead-letter queue by an earlier delivery and moved back by a person (a DLQ
   * redrive, after fixing the cause): an alert that ended without a call is tried again. A ladder that rang never is.
   */
  redriven?: boolean;
}

/**
 * How one delivery ended. `retry`: leave the message on the queue and deliver it again after `delaySeconds`;
 * `dead-letter`: move it to the dead-letter queue with `reason` (the record says why); every other result deletes it.
 * `placed`: a ladder's first level is ringing (`contactIds`); `escalated`: a later level is; `unacknowledged`: the ladder
 * ran out; `stale`: a timer or report for a ladder that was acknowledged or moved on; `rescheduled`: a cooldown timer
 * that is not due yet went back on the queue; `nothing-to-tell`: a cooldown ended with no untold anomalies.
 */
export type PlaceCallResult =
  | { result: 'placed'; contactId: string; contactIds: string[]; foldedCount: number }
  | { result: 'escalated'; step: number; contactIds: string[] }
  | { result: 'unacknowledged'; step: number }
  | { result: 'folded'; intoInspectionId: string; foldedCount: number }
  | { result: 'duplicate' }
  | { result: 'stale' }
  | { result: 'rescheduled'; delaySeconds: number }
  | { result: 'nothing-to-tell' }
  | { result: 'retry'; delaySeconds: number; reason: string }
  | { result: 'dead-letter'; code: AlertFailureCode; reason: string };

/** Handle one message of the alert queue, whatever its kind. */
export async function handleAlertQueueMessage(deps: PlaceCallDependencies, delivery: AlertDelivery): Promise<PlaceCallResult> {
  const { message } = delivery;
  if (message.kind === 'escalate') return escalateAlert(deps, { ...delivery, message });
  if (message.kind === 'cooldown-end') return tellFoldedAnomalies(deps, { ...delivery, message });
  return placeOperatorCall(deps, { ...delivery, message });
}

/**
 * Start the escalation ladder an alert message asks for, exactly once, however often the message is delivered.
 *
 * The alert is claimed under a lease (a redelivered or concurrently delivered message waits or is dropped as a
 * duplicate); a station rung within its cooldown folds the anomaly into its next call instead of ringing (and the
 * cooldown's end tells it when nothing else does); then the ladder's first level rings, each call within the daily
 * cap. Throttling and Connect's limits are retried with exponential backoff until `maxAttempts`; a ladder whose every
 * call was refused or capped ends in the dead-letter queue with the reason on the record, and people are notified.
 */
export async function placeOperatorCall(deps: PlaceCallDependencies, delivery: AlertDelivery<AlertMessage>): Promise<PlaceCallResult> {
  const { message, attempt } = delivery;
  const context = { inspectionId: message.inspectionId, stationId: message.stationId, attempt };

  if (delivery.redriven && (await deps.alertState.reopenAlert(message.inspectionId))) {
    // Its ladder never rang anyone (that is why it was parked): start it over from level 1.
    await deps.ladders.discardUnrungLadder(message.inspectionId);
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
    const station = await deps.stations(message.stationId);
    if (!station) {
      // Uploads naming unknown stations are refused, so only a station removed from the registry since gets here.
      const reason = `Station ${message.stationId} is not in the station registry any more, so nobody could be called.`;
      await saveAlert(deps, record.inspectionId, () => ({ status: 'failed', code: 'NO_CONTACT_TO_CALL', reason, failedAt: now(deps).toISOString() }));
      await deps.alertState.completeAlert(message.inspectionId, 'failed');
      await notify(deps, record, message.stationId, 'failed', reason);
      return { result: 'dead-letter', code: 'NO_CONTACT_TO_CALL', reason };
    }

    const startedAt = now(deps);
    const cooldownMs = stationCooldownMs(station, deps.policy.stationCooldownMs);
    const decision = await deps.alertState.tryStartCall(message.stationId, message.inspectionId, startedAt.getTime(), cooldownMs);
    if (!decision.call) {
      const folded = await saveAlert(deps, record.inspectionId, () => ({
        status: 'folded',
        intoInspectionId: decision.activeCallInspectionId,
        foldedAt: startedAt.toISOString(),
      }));
      // The first fold of a cooldown sets its timer; later ones ride on it.
      if (decision.foldedCount === 1) await scheduleCooldownEnd(deps, message.stationId, decision.cooldownEndsAtMs);
      await deps.alertState.completeAlert(message.inspectionId, 'folded', folded);
      deps.logger.info('The station was rung recently; the anomaly is told when its cooldown ends, or on its next call', {
        ...context,
        foldedCount: decision.foldedCount,
      });
      return { result: 'folded', intoInspectionId: decision.activeCallInspectionId, foldedCount: decision.foldedCount };
    }

    // The inspection may have asked the cooldown already (it did, when it queued the alert): then its message carries
    // the folds handed over, and asking again here only confirms the call.
    const foldedInspectionIds = decision.foldedInspectionIds ?? message.foldedInspectionIds ?? [];
    const ladder = await deps.ladders.openLadder(message.inspectionId, message.stationId, foldedInspectionIds);
    const run: LadderRun = {
      record,
      station,
      stationId: message.stationId,
      confidencePercent: message.confidencePercent,
      callKind: 'anomaly',
      foldedCount: decision.foldedCount,
      foldedInspectionIds,
      attempt,
    };
    const rung = await ringLadder(deps, run, ladder);
    if (rung.kind === 'retry') {
      // The station keeps this inspection as its current call, the cap its reservations and the ladder the calls
      // already started: the retry rings only who was not rung yet, with the same folded count.
      await deps.alertState.releaseAlert(message.inspectionId);
      return { result: 'retry', delaySeconds: backoffSeconds(attempt, deps.policy.retryBaseSeconds), reason: rung.reason };
    }
    if (rung.kind === 'failed') {
      await deps.alertState.recordCallFailed(message.stationId, message.inspectionId);
      await deps.alertState.completeAlert(message.inspectionId, rung.code === 'DAILY_CALL_CAP_REACHED' ? 'capped' : 'failed', rung.recordedAlert);
      return { result: 'dead-letter', code: rung.code, reason: rung.reason };
    }
    await deps.alertState.completeAlert(message.inspectionId, 'placed', rung.recordedAlert);
    if (rung.kind === 'settled') return { result: 'stale' };
    if (rung.kind === 'unacknowledged') return { result: 'unacknowledged', step: rung.step };
    deps.logger.info('The escalation ladder is ringing', { ...context, step: rung.step, calls: rung.contactIds.length, foldedCount: decision.foldedCount });
    return { result: 'placed', contactId: rung.contactIds[0] ?? '', contactIds: rung.contactIds, foldedCount: decision.foldedCount };
  } catch (error) {
    // A dependency failed mid-way (the record store, the state table): give the lease back so the redelivery
    // can carry on at once; every step before a call is idempotent for this inspection, and calls already started are
    // remembered by the ladder.
    await deps.alertState.releaseAlert(message.inspectionId).catch(() => undefined);
    throw error;
  }
}

/**
 * A ladder's timer ran out, or every call of its step ended without a key: ring the next level, or, after the last
 * level of the last loop, mark the alert unacknowledged and notify people. A timer for a ladder that was acknowledged
 * or has moved on is dropped; the delivery that moved the ladder and then failed (a redelivery) finishes ringing.
 */
export async function escalateAlert(deps: PlaceCallDependencies, delivery: AlertDelivery<EscalationMessage>): Promise<PlaceCallResult> {
  const { message, attempt } = delivery;
  let ladder = await deps.ladders.advanceLadder(message.inspectionId, message.fromStep);
  if (!ladder) {
    const current = await deps.ladders.getLadder(message.inspectionId);
    // Only this message's own redelivery finishes what its first delivery started (others are duplicates or late).
    if (!current || attempt < 2 || current.step !== message.fromStep + 1) return { result: 'stale' };
    if (current.status === 'unacknowledged') return finishAnnouncement(deps, current);
    if (current.status !== 'ringing' || current.rungStep >= current.step) return { result: 'stale' };
    ladder = current;
  }
  const record = await deps.store.getRecord(message.inspectionId);
  const station = await deps.stations(ladder.stationId);
  if (!record || !station) {
    const reason = !record
      ? 'The inspection record is missing, so the ladder cannot go on.'
      : `Station ${ladder.stationId} is not in the station registry any more.`;
    await deps.ladders.giveUpLadder(message.inspectionId, ladder.step);
    if (record) {
      await saveAlert(deps, record.inspectionId, (alert) => unacknowledgedAlert(alert, now(deps)));
      await notify(deps, record, ladder.stationId, 'unacknowledged', reason);
    }
    deps.logger.error('An escalation ladder could not go on', { inspectionId: message.inspectionId, reason });
    return { result: 'unacknowledged', step: ladder.step };
  }
  const current = record.alert;
  const run: LadderRun = {
    record,
    station,
    stationId: ladder.stationId,
    confidencePercent: confidenceOf(record),
    callKind: hasLadder(current) ? (current.callKind ?? 'anomaly') : 'anomaly',
    foldedCount: hasLadder(current) ? (current.foldedCount ?? 0) : 0,
    foldedInspectionIds: ladder.foldedInspectionIds,
    attempt,
  };
  const rung = await ringLadder(deps, run, ladder);
  if (rung.kind === 'retry') return { result: 'retry', delaySeconds: backoffSeconds(attempt, deps.policy.retryBaseSeconds), reason: rung.reason };
  if (rung.kind === 'failed') {
    await deps.alertState.recordCallFailed(ladder.stationId, message.inspectionId);
    return { result: 'dead-letter', code: rung.code, reason: rung.reason };
  }
  if (rung.kind === 'settled') return { result: 'stale' };
  if (rung.kind === 'unacknowledged') return { result: 'unacknowledged', step: rung.step };
  deps.logger.info('Nobody acknowledged; the next level of the ladder is ringing', {
    inspectionId: message.inspectionId,
    stationId: ladder.stationId,
    step: rung.step,
    reason: message.reason,
  });
  return { result: 'escalated', step: rung.step, contactIds: rung.contactIds };
}

/** A ladder given up by a delivery that failed before the record said so: tell people and write it now. */
async function finishAnnouncement(deps: PlaceCallDependencies, ladder: LadderState): Promise<PlaceCallResult> {
  const record = await deps.store.getRecord(ladder.inspectionId);
  if (!record || (record.alert.status !== 'ringing' && record.alert.status !== 'queued')) return { result: 'stale' };
  const station = (await deps.stations(ladder.stationId)) ?? { id: ladder.stationId, name: ladder.stationId, escalation: [] };
  const attempts = hasLadder(record.alert) ? record.alert.attempts : [];
  const capped = attempts.length > 0 && attempts.every((attempt) => attempt.reason?.includes('DAILY_CALL_CAP'));
  const code: AlertFailureCode = capped ? 'DAILY_CALL_CAP_REACHED' : 'CALL_REFUSED';
  const reason = attempts.at(-1)?.reason ?? 'No call could be started.';
  const run: LadderRun = {
    record,
    station,
    stationId: ladder.stationId,
    confidencePercent: confidenceOf(record),
    callKind: 'anomaly',
    foldedCount: 0,
    foldedInspectionIds: ladder.foldedInspectionIds,
    attempt: 2,
  };
  const ended = await announceEnd(deps, run, ladder, code, reason);
  if (ended.kind === 'failed') return { result: 'dead-letter', code: ended.code, reason: ended.reason };
  return { result: 'unacknowledged', step: ladder.step };
}

/**
 * A station's cooldown ended: anomalies folded during it that no call has told since get a call of their own, about
 * the newest of them, saying how many there are; its acknowledgement acknowledges them all.
 */
export async function tellFoldedAnomalies(deps: PlaceCallDependencies, delivery: AlertDelivery<CooldownEndMessage>): Promise<PlaceCallResult> {
  const { message, attempt } = delivery;
  const nowMs = now(deps).getTime();
  const dueMs = Date.parse(message.dueAt);
  if (Number.isFinite(dueMs) && dueMs > nowMs + 1000) {
    // Cooldowns longer than SQS's 15-minute delay are waited out in hops.
    const delaySeconds = await scheduleCooldownEnd(deps, message.stationId, dueMs);
    return { result: 'rescheduled', delaySeconds };
  }
  const station = await deps.stations(message.stationId);
  if (!station) return { result: 'nothing-to-tell' };
  const cooldownMs = stationCooldownMs(station, deps.policy.stationCooldownMs);
  const decision = await deps.alertState.tryStartFoldedCall(message.stationId, nowMs, cooldownMs);
  if (!decision.call) {
    if (decision.reason === 'cooling-down') {
      // Another call rang meanwhile and took the folds; those folded since are told when its cooldown ends.
      const delaySeconds = await scheduleCooldownEnd(deps, message.stationId, decision.cooldownEndsAtMs);
      return { result: 'rescheduled', delaySeconds };
    }
    return { result: 'nothing-to-tell' };
  }
  // The same summary call is answered to every delivery of its cooldown's end; one at a time rings it (a lease, as
  // for alerts), and once it has rung, later deliveries are duplicates.
  const lease = `folded-call#${decision.leadInspectionId}`;
  const claim = await deps.alertState.claimAlert(lease, deps.policy.leaseSeconds);
  if (!claim.claimed) {
    if (claim.state === 'done') return { result: 'duplicate' };
    return { result: 'retry', delaySeconds: deps.policy.leaseSeconds, reason: 'another delivery of this cooldown end is being processed' };
  }
  let rung: RingOutcome;
  try {
    const record = await deps.store.getRecord(decision.leadInspectionId);
    if (!record) {
      await deps.alertState.recordCallFailed(message.stationId, decision.leadInspectionId);
      await deps.alertState.completeAlert(lease, 'failed');
      return { result: 'dead-letter', code: 'INSPECTION_RECORD_MISSING', reason: 'The record of the anomalies to tell is missing, so no call was placed.' };
    }
    const others = decision.foldedInspectionIds.filter((id) => id !== decision.leadInspectionId);
    const ladder = await deps.ladders.openLadder(decision.leadInspectionId, message.stationId, others);
    const run: LadderRun = {
      record,
      station,
      stationId: message.stationId,
      confidencePercent: confidenceOf(record),
      callKind: 'folded',
      foldedCount: decision.foldedCount,
      foldedInspectionIds: others,
      attempt,
    };
    rung = await ringLadder(deps, run, ladder);
  } catch (error) {
    await deps.alertState.releaseAlert(lease).catch(() => undefined);
    throw error;
  }
  if (rung.kind === 'retry') {
    await deps.alertState.releaseAlert(lease);
    return { result: 'retry', delaySeconds: backoffSeconds(attempt, deps.policy.retryBaseSeconds), reason: rung.reason };
  }
  await deps.alertState.completeAlert(lease, rung.kind === 'failed' ? 'failed' : 'placed');
  if (rung.kind === 'failed') {
    await deps.alertState.recordCallFailed(message.stationId, decision.leadInspectionId);
    return { result: 'dead-letter', code: rung.code, reason: rung.reason };
  }
  if (rung.kind === 'settled') return { result: 'stale' };
  if (rung.kind === 'unacknowledged') return { result: 'unacknowledged', step: rung.step };
  deps.logger.info('A station cooldown ended with untold anomalies; a call tells them', {
    stationId: message.stationId,
    inspectionId: decision.leadInspectionId,
    foldedCount: decision.foldedCount,
  });
  return { result: 'placed', contactId: rung.contactIds[0] ?? '', contactIds: rung.contactIds, foldedCount: decision.foldedCount };
}

/** What a ladder's calls say and whom they belong to. */
interface LadderRun {
  record: InspectionRecord;
  station: Station;
  /** The station id the alert carries (the default station's calls keep the id the upload named). */
  stationId: string;
  confidencePercent: number;
  callKind: CallKind;
  foldedCount: number;
  foldedInspectionIds: string[];
  attempt: number;
}

type RingOutcome =
  | { kind: 'ringing'; step: number; contactIds: string[]; recordedAlert: string }
  /** The ladder was acknowledged (or given up) already: nothing to ring, nothing to report. */
  | { kind: 'settled'; recordedAlert: string }
  | { kind: 'unacknowledged'; step: number; recordedAlert: string }
  | { kind: 'failed'; code: AlertFailureCode; reason: string; recordedAlert: string }
  | { kind: 'retry'; reason: string };

/**
 * Ring the ladder's current step, and go straight on to the next while a step rings nobody (nobody on shift, every
 * call refused or capped). Calls already started for a step (a retried delivery) are not started again. Once a step
 * rings, its timer goes on the queue; past the last step the alert is unacknowledged (or failed, when no call of the
 * whole ladder ever started) and people are notified.
 */
async function ringLadder(deps: PlaceCallDependencies, run: LadderRun, initial: LadderState): Promise<RingOutcome> {
  const levels = run.station.escalation;
  const totalSteps = levels.length * Math.max(1, deps.policy.escalationLoops);
  let ladder = initial;
  let failureCode: AlertFailureCode = 'CALL_REFUSED';
  let failureReason = 'No call could be started.';

  for (let guard = 0; guard <= totalSteps; guard += 1) {
    const { step } = ladder;
    if (ladder.status !== 'ringing') return { kind: 'settled', recordedAlert: JSON.stringify(run.record.alert) };
    if (step >= totalSteps) return finishLadder(deps, run, ladder, failureCode, failureReason);

    const { levelIndex, loop } = ladderPosition(step, levels.length);
    const level = levels[levelIndex]!;
    const at = now(deps);
    // A ladder whose whole shift plan leaves nobody on shift rings everyone rather than no one.
    const nobodyOnShift = levels.every((each) => each.contacts.every((contact) => !isOnShift(contact, at)));
    const onShift = new Set(nobodyOnShift ? level.contacts : contactsOnShift(level, at));
    const attempts: CallAttempt[] = [];
    const contactIds: string[] = [];

    for (const [index, contact] of level.contacts.entries()) {
      if (!onShift.has(contact)) continue;
      const callKey = callKeyOf(step, index);
      const base = { step, level: levelIndex + 1, loop, contactName: contact.name, phone: maskPhoneNumber(contact.phone), startedAt: at.toISOString() };
      if (ladder.started.includes(callKey)) {
        // Started by an earlier delivery that failed before the record said so: put the call on the record, never ring again.
        const contactId = ladder.startedCalls[callKey];
        const link = contactId ? await deps.ladders.findContact(contactId) : undefined;
        if (link) {
          attempts.push({ ...base, startedAt: link.startedAt, contactId: link.contactId, outcome: 'ringing' });
          contactIds.push(link.contactId);
        }
        continue;
      }
      if (ladder.dialing.includes(callKey)) {
        // An earlier delivery asked Connect for this call and never learnt the answer: it may be ringing. Asking again
        // could ring the person twice (a reused ClientToken starts a new contact once the first has ended), so the
        // call stands as placed and the step's timer moves the ladder on if nobody acknowledges.
        await deps.ladders.recordCallUnconfirmed(run.record.inspectionId, callKey);
        attempts.push({ ...base, outcome: 'unconfirmed', reason: UNCONFIRMED_REASON });
        continue;
      }
      const reservation = step === 0 && index === 0 ? run.record.inspectionId : `${run.record.inspectionId}#${callKey}`;
      const capped = await reserveCall(deps, run, at, reservation);
      if (capped) {
        failureCode = 'DAILY_CALL_CAP_REACHED';
        failureReason = capped;
        await deps.ladders.recordCallNotStarted(run.record.inspectionId, callKey);
        attempts.push({ ...base, outcome: 'not-started', reason: failureReason });
        continue;
      }
      await deps.ladders.recordCallDialing(run.record.inspectionId, callKey);
      let contactId: string;
      try {
        ({ contactId } = await deps.caller.startCall({
          inspectionId: run.record.inspectionId,
          stationId: run.stationId,
          stationName: run.station.name,
          confidencePercent: run.confidencePercent,
          foldedCount: run.foldedCount,
          callKind: run.callKind,
          destinationPhoneNumber: contact.phone,
          contactName: contact.name,
          level: levelIndex + 1,
          loop,
          step,
          index,
        }));
      } catch (error) {
        const reason = error instanceof OperatorCallError ? error.message : 'The operator call could not be placed.';
        deps.logger.warn('Calling a contact of the ladder failed', {
          inspectionId: run.record.inspectionId,
          step,
          contactName: contact.name,
          error: describe(error),
        });
        if (mayHaveStarted(error)) {
          await deps.ladders.recordCallUnconfirmed(run.record.inspectionId, callKey);
          attempts.push({ ...base, outcome: 'unconfirmed', reason: UNCONFIRMED_REASON });
          continue;
        }
        // Connect refused or throttled the request, or it never left: no call exists, so asking again is safe.
        await deps.ladders.clearCallDialing(run.record.inspectionId, callKey);
        if (isRetryable(error) && run.attempt < deps.policy.maxAttempts) {
          await saveAttempts(deps, run, ladder, attempts, levelIndex + 1, loop);
          return { kind: 'retry', reason };
        }
        failureCode = isRetryable(error) ? 'RETRIES_EXHAUSTED' : 'CALL_REFUSED';
        failureReason = isRetryable(error) ? `${reason} Gave up after ${run.attempt} attempts.` : reason;
        await deps.ladders.recordCallNotStarted(run.record.inspectionId, callKey);
        attempts.push({ ...base, outcome: 'not-started', reason: failureReason });
        continue;
      }
      // Outside the try: a failure to record a call that did start is the table's, not Connect's. It fails the
      // delivery, and the redelivery finds the call marked as dialing and does not ask for it again.
      await deps.ladders.recordCallStarted({ contactId, inspectionId: run.record.inspectionId, stationId: run.stationId, callKey, ...base });
      attempts.push({ ...base, contactId, outcome: 'ringing' });
      contactIds.push(contactId);
    }

    const recordedAlert = await saveAttempts(deps, run, ladder, attempts, levelIndex + 1, loop);
    const rung = (await deps.ladders.markStepRung(run.record.inspectionId, step)) ?? ladder;
    const startedThisStep = rung.started.some((key) => key.startsWith(`${step}:`));
    if (rung.status === 'ringing' && rung.step === step && startedThisStep && !stepEndedUnanswered(rung, step)) {
      await deps.timers.publish(escalation(run, step, 'ack-timeout', at), Math.min(MAX_TIMER_SECONDS, deps.policy.ackTimeoutSeconds));
      return { kind: 'ringing', step, contactIds, recordedAlert };
    }
    if (rung.status !== 'ringing') return { kind: 'settled', recordedAlert };
    // Nobody on shift at this level, or every call of it refused, capped or already over: the next level, now.
    const next = await deps.ladders.advanceLadder(run.record.inspectionId, step);
    if (!next) return { kind: 'ringing', step, contactIds, recordedAlert };
    ladder = next;
  }
  throw new Error(`The ladder of ${run.record.inspectionId} did not settle`);
}

/**
 * Reserve one call of the day within the station's cap and the global ceiling. Undefined when reserved; otherwise the
 * reason the call was not placed. The first refusal of the day by each limit tells people (SNS), once: a flood of
 * anomalies, real or forged, uses up at most its own station's calls, and a supervisor hears that it did.
 */
async function reserveCall(deps: PlaceCallDependencies, run: LadderRun, at: Date, reservation: string): Promise<string | undefined> {
  const dayUtc = utcDay(at);
  const stationCap = run.station.dailyCallCap ?? deps.policy.stationDailyCallCap;
  const globalCap = deps.policy.dailyCallCap;
  // Counted by the registry's station (without a registry, the one default station), never by an id a request named.
  const stationId = run.station.id;
  const outcome = await deps.alertState.reserveDailyCall({ dayUtc, stationId, stationCap, globalCap, reservation });
  if (outcome === 'reserved') return undefined;
  const reason =
    outcome === 'station-cap'
      ? `No call placed: the daily cap of ${stationCap} operator calls for station ${run.station.name} is reached (STATION_DAILY_CALL_CAP).`
      : `No call placed: the daily cap of ${globalCap} operator calls for all stations is reached (DAILY_CALL_CAP).`;
  if (await deps.alertState.claimCapNotice(dayUtc, outcome, stationId)) {
    deps.logger.error('A daily call cap is reached; people are told', { stationId, limit: outcome, dayUtc, stationCap, globalCap });
    await deps.notifier.callCapReached({
      limit: outcome === 'station-cap' ? 'station' : 'all-stations',
      stationId,
      stationName: run.station.name,
      cap: outcome === 'station-cap' ? stationCap : globalCap,
      dayUtc,
      inspectionId: run.record.inspectionId,
    });
  }
  return reason;
}

/** Past the last step: unacknowledged when some call rang, failed when none could start; people are told either way. */
async function finishLadder(
  deps: PlaceCallDependencies,
  run: LadderRun,
  ladder: LadderState,
  failureCode: AlertFailureCode,
  failureReason: string,
): Promise<RingOutcome> {
  if (!(await deps.ladders.giveUpLadder(run.record.inspectionId, ladder.step))) {
    return { kind: 'settled', recordedAlert: JSON.stringify(run.record.alert) };
  }
  return announceEnd(deps, run, ladder, failureCode, failureReason);
}

/**
 * Tell people, then write the end on the record: a delivery that fails in between is delivered again and tells them
 * again (at least once), since the record does not say it yet (escalateAlert finds such a ladder).
 */
async function announceEnd(
  deps: PlaceCallDependencies,
  run: LadderRun,
  ladder: LadderState,
  failureCode: AlertFailureCode,
  failureReason: string,
): Promise<RingOutcome> {
  const at = now(deps).toISOString();
  if (!ladder.anyCallStarted) {
    deps.logger.error('No call of the ladder could be started; the alert goes to the dead-letter queue', {
      inspectionId: run.record.inspectionId,
      stationId: run.stationId,
      code: failureCode,
    });
    await notify(deps, run.record, run.stationId, 'failed', failureReason, run.station.name);
    const recordedAlert = await saveAlert(deps, run.record.inspectionId, (alert) => ({
      status: 'failed',
      code: failureCode,
      reason: failureReason,
      failedAt: at,
      ...(hasLadder(alert) ? { attempts: alert.attempts } : {}),
    }));
    return { kind: 'failed', code: failureCode, reason: failureReason, recordedAlert };
  }
  deps.logger.error('Nobody acknowledged the alert on any level of the ladder', {
    inspectionId: run.record.inspectionId,
    stationId: run.stationId,
    steps: ladder.step,
  });
  const loops = Math.max(1, deps.policy.escalationLoops);
  await notify(
    deps,
    run.record,
    run.stationId,
    'unacknowledged',
    `Nobody acknowledged the call on any level of the ladder (${loops} ${loops === 1 ? 'round' : 'rounds'}).`,
    run.station.name,
  );
  const recordedAlert = await saveAlert(deps, run.record.inspectionId, (alert) => unacknowledgedAlert(alert, new Date(at)));
  return { kind: 'unacknowledged', step: ladder.step, recordedAlert };
}

/** Append a step's attempts to the record's alert, which says `ringing` at that level while the ladder rings. */
async function saveAttempts(
  deps: PlaceCallDependencies,
  run: LadderRun,
  ladder: LadderState,
  attempts: CallAttempt[],
  level: number,
  loop: number,
): Promise<string> {
  const at = now(deps).toISOString();
  return saveAlert(deps, run.record.inspectionId, (alert) => {
    // A redriven alert keeps the refused calls of its first try on the record.
    const earlier = 'attempts' in alert && Array.isArray(alert.attempts) ? alert.attempts : [];
    // A retried delivery may report a call the record already has: keep one entry per contact id.
    const known = new Set(earlier.map((attempt) => attempt.contactId).filter(Boolean));
    const merged = [...earlier, ...attempts.filter((attempt) => !attempt.contactId || !known.has(attempt.contactId))];
    if (alert.status === 'acknowledged' || alert.status === 'unacknowledged') return { ...alert, attempts: merged };
    return {
      status: 'ringing',
      startedAt: hasLadder(alert) ? alert.startedAt : at,
      level,
      loop,
      callKind: run.callKind,
      ...(run.foldedCount > 0 ? { foldedCount: run.foldedCount } : {}),
      ...(ladder.foldedInspectionIds.length > 0 ? { foldedInspectionIds: ladder.foldedInspectionIds } : {}),
      attempts: merged,
    };
  });
}

function unacknowledgedAlert(alert: AlertOutcome, at: Date): AlertOutcome {
  if (alert.status === 'acknowledged') return alert;
  return {
    status: 'unacknowledged',
    unacknowledgedAt: at.toISOString(),
    startedAt: hasLadder(alert) ? alert.startedAt : at.toISOString(),
    attempts: hasLadder(alert) ? alert.attempts : [],
    ...(hasLadder(alert) && alert.callKind ? { callKind: alert.callKind } : {}),
    ...(hasLadder(alert) && alert.foldedCount ? { foldedCount: alert.foldedCount } : {}),
    ...(hasLadder(alert) && alert.foldedInspectionIds ? { foldedInspectionIds: alert.foldedInspectionIds } : {}),
  };
}

/** True for the alert states that carry a ladder's calls. */
export function hasLadder(alert: AlertOutcome): alert is Extract<AlertOutcome, { status: 'ringing' | 'unacknowledged' }> {
  return alert.status === 'ringing' || alert.status === 'unacknowledged';
}

function escalation(run: LadderRun, fromStep: number, reason: EscalationMessage['reason'], at: Date): EscalationMessage {
  return { kind: 'escalate', inspectionId: run.record.inspectionId, stationId: run.stationId, fromStep, reason, queuedAt: at.toISOString() };
}

/** Put the cooldown's end on the queue (in hops of at most 15 minutes); resolves with the delay used. */
async function scheduleCooldownEnd(deps: PlaceCallDependencies, stationId: string, dueAtMs: number): Promise<number> {
  const { message, delaySeconds } = cooldownEndTimer(stationId, dueAtMs, now(deps));
  await deps.timers.publish(message, delaySeconds);
  return delaySeconds;
}

async function notify(
  deps: PlaceCallDependencies,
  record: InspectionRecord,
  stationId: string,
  status: 'unacknowledged' | 'failed',
  reason: string,
  stationName?: string,
): Promise<void> {
  const name = stationName ?? (await deps.stations(stationId).catch(() => undefined))?.name ?? stationId;
  await deps.notifier.alertNotDelivered({ inspectionId: record.inspectionId, stationId, stationName: name, status, reason });
}

/** Write the alert's new state on the inspection record (a conditional read-modify-write); resolves with it as JSON. */
async function saveAlert(deps: PlaceCallDependencies, inspectionId: string, change: (alert: AlertOutcome) => AlertOutcome): Promise<string> {
  let saved: AlertOutcome | undefined;
  await deps.store.updateRecord(inspectionId, (current) => {
    if (!current) return undefined;
    saved = change(current.alert);
    return { ...current, alert: saved, updatedAt: now(deps).toISOString() };
  });
  return JSON.stringify(saved ?? null);
}

/**
 * Put a finished alert's outcome back on a record that says `queued` again: two uploads of the same bytes racing
 * (the second finishing the first's inspection) can both write the verdict, the later after the call was recorded.
 * The later one's alert message is this duplicate delivery.
 */
async function repairRecord(deps: PlaceCallDependencies, inspectionId: string, recordedAlert: string): Promise<void> {
  const alert = JSON.parse(recordedAlert) as AlertOutcome | null;
  if (!alert) return;
  let repaired = false;
  await deps.store.updateRecord(inspectionId, (record) => {
    if (record?.alert.status !== 'queued') return undefined;
    repaired = true;
    return { ...record, alert, updatedAt: now(deps).toISOString() };
  });
  if (repaired) deps.logger.warn('The record said queued after its alert was handled; the outcome is written back', { inspectionId });
}

function confidenceOf(record: InspectionRecord): number {
  return record.detection ? toWholePercent(anomalyLikelihood(record.detection)) : 0;
}

/**
 * Exponential backoff after delivery 1, 2, 3…: base, 2×base, 4×base… seconds (at most 15 minutes), jittered by ±20 %
 * so alerts throttled together do not come back together.
 */
export function backoffSeconds(attempt: number, baseSeconds: number, random: () => number = Math.random): number {
  const delay = Math.min(900, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(delay * (0.8 + 0.4 * random()));
}

function now(deps: Pick<PlaceCallDependencies, 'now'>): Date {
  return deps.now ? deps.now() : new Date();
}

/** What the record says of a call whose request may have started it. */
const UNCONFIRMED_REASON =
  'Amazon Connect was asked to place this call but its answer was lost; the call may have rung. It is not placed again, so nobody is rung twice; the next level follows if nobody acknowledges.';

function mayHaveStarted(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Partial<RetryableCallFailure>).mayHaveStarted === true;
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Partial<RetryableCallFailure>).retryable === true;
}

function describe(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Unknown', message: String(error) };
}

/** The UTC calendar day of an instant, as the daily call cap counts it (YYYY-MM-DD). */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
