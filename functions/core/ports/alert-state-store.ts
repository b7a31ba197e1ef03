/**
 * The alert state port: what the alerting path must remember between Lambda invocations so that
 * an anomaly never rings twice and is never lost (DynamoDB in production, dynalite locally).
 * Every operation is one atomic conditional write; none reads and then writes.
 *
 * The order the place-call consumer (functions/core/place-operator-call.ts) uses them in, for one alert message:
 * 1. `claimAlert(inspectionId, lease)`: `claimed` → go on; `in-progress` → report the message as a
 *    batch item failure (another invocation holds it; SQS redelivers later); `done` → delete the
 *    message, it was a duplicate delivery.
 * 2. `tryStartCall(stationId, inspectionId, now, cooldown)`: `call: false` → the anomaly was folded
 *    into the station's next call; `completeAlert(id, 'folded', recorded)`.
 * 3. `reserveDailyCall({ dayUtc, stationId, stationCap, globalCap, reservation })`: refused → `completeAlert(id, 'capped')` and
 *    `recordCallFailed` (no call was placed, so the station must not stay silenced).
 * 4. Start the Connect call with the inspection-derived ClientToken (Connect itself drops a second
 *    call with the same token, the last line of defence against a double ring).
 *    Placed → `completeAlert(id, 'placed')`. Throttled / limit exceeded → `releaseAlert(id)` and
 *    report a batch item failure: the retry gets `call: true` again for the same inspection and
 *    the same reservation, so it neither folds itself nor uses up a second call of the cap.
 *    Permanently refused → `recordCallFailed(stationId, id)`, `completeAlert(id, 'failed')`, DLQ.
 *
 * The image claim is separate and earlier, in the inspection pipeline: `claimImage` before an
 * alert is ever published, so the same wafer photo uploaded twice gives one inspection. A claim is
 * never given back: an inspection that failed before its record was stored is finished, under the
 * same id, by the next upload of the same bytes.
 */

/** Result of claiming an image by its content hash. */
export type ImageClaim =
  /** This inspection is the first (or the same inspection retried): go on. */
  | { firstSeen: true }
  /** Seen before, within the claim's lifetime: reuse the first inspection instead of a new one. */
  | { firstSeen: false; inspectionId: string };

/** How the processing of one alert ended, kept so a redelivery knows it is a duplicate. */
export type AlertOutcome = 'placed' | 'folded' | 'failed' | 'capped';

/** Result of claiming the processing of one alert. */
export type AlertClaim =
  | { claimed: true }
  /** `in-progress`: another invocation holds an unexpired lease. `done`: finished earlier, with its outcome. */
  | { claimed: false; state: 'in-progress' }
  | { claimed: false; state: 'done'; outcome: AlertOutcome; recordedAlert?: string };

/** Whether an anomaly on a station rings now or is folded into the station's next call. */
export type CallDecision =
  /**
   * Ring. `foldedCount` anomalies were folded since the previous call ("3 more anomalous wafers since the last call");
   * `foldedInspectionIds` names them when known (the call's acknowledgement acknowledges them too).
   */
  | { call: true; foldedCount: number; foldedInspectionIds?: string[] }
  /**
   * A call for `activeCallInspectionId` is recent; this anomaly was counted (`foldedCount` so far, itself included).
   * `cooldownEndsAtMs`: when the station may be rung again, so the folds can be told then if nothing else rings.
   */
  | { call: false; foldedCount: number; activeCallInspectionId: string; cooldownEndsAtMs: number };

/** What the end of a station's cooldown found: anomalies folded and not yet told (then a call tells them), or none. */
export type FoldedCallDecision =
  /** Ring about `foldedCount` folded anomalies; `leadInspectionId` (the newest) carries the call and its decision. */
  | { call: true; foldedCount: number; leadInspectionId: string; foldedInspectionIds: string[] }
  /** Nothing untold. */
  | { call: false; reason: 'nothing-folded' }
  /** The station was rung again since; its cooldown now ends at `cooldownEndsAtMs`. */
  | { call: false; reason: 'cooling-down'; cooldownEndsAtMs: number };

/** Alert de-duplication, per-station cooldown and the daily call cap. */
export interface AlertStateStore {
  /**
   * Claim an image by its sha256 for `ttlSeconds`. The first inspection of those bytes gets
   * `firstSeen: true`, and so does the same inspection asking again (a retried event); anyone
   * else gets the first inspection's id. After the TTL the bytes count as new.
   */
  claimImage(sha256: string, inspectionId: string, ttlSeconds: number): Promise<ImageClaim>;

  /**
   * Give back `inspectionId`'s claim of an image (its pixels turned out not to decode), so the same bytes sent again are
   * judged afresh at once. Another inspection's claim, or none, is left as it is.
   */
  releaseImage(sha256: string, inspectionId: string): Promise<void>;

  /**
   * Claim the processing of an inspection's alert for `leaseSeconds` (at least the consumer's
   * timeout, so a crashed invocation's message can be taken over after its lease, and not before).
   */
  claimAlert(inspectionId: string, leaseSeconds: number): Promise<AlertClaim>;

  /**
   * Mark an alert processed for good: every later claim answers `done` with this outcome and `recordedAlert` (what
   * was written on the inspection record, as JSON), so a later delivery can repair a record a racing writer reverted.
   */
  completeAlert(inspectionId: string, outcome: AlertOutcome, recordedAlert?: string): Promise<void>;

  /** Give up a lease early (a retryable failure) so the redelivered message is not held back; a done alert stays done. */
  releaseAlert(inspectionId: string): Promise<void>;

  /**
   * Make an alert that ended without a call (`failed`, `capped`) claimable again: a person moved its message back
   * from the dead-letter queue after fixing the cause. Placed and folded alerts stay done. Resolves true when reopened.
   */
  reopenAlert(inspectionId: string): Promise<boolean>;

  /**
   * Decide whether an anomaly on `stationId` rings, atomically: when no call started within
   * `cooldownMs` before `nowMs`, this inspection becomes the station's current call and the
   * folded counter is handed over and reset; otherwise the counter is incremented.
   * Idempotent for the inspection that owns the current call: asking again (a retry after a
   * throttled Connect call) answers `call: true` with the same `foldedCount`.
   */
  tryStartCall(stationId: string, inspectionId: string, nowMs: number, cooldownMs: number): Promise<CallDecision>;

  /**
   * At the end of a station's cooldown: when anomalies were folded and no call has told them since, make the newest of
   * them the station's current call (the folded count handed over and reset), atomically, as tryStartCall does.
   */
  tryStartFoldedCall(stationId: string, nowMs: number, cooldownMs: number): Promise<FoldedCallDecision>;

  /**
   * The call started by `inspectionId` could not be placed and will not be retried (a permanent
   * refusal, or the daily cap): end the station's cooldown, so the next anomaly tries to ring
   * instead of being folded into a call nobody received, and hand the folded count back plus
   * one for this inspection. Resolves false when another inspection already owns the station's call.
   */
  recordCallFailed(stationId: string, inspectionId: string): Promise<boolean>;

  /**
   * Reserve one call of the UTC day `dayUtc` (YYYY-MM-DD) within the station's own cap and the global ceiling (a
   * toll-fraud and abuse guard: one station's flood cannot use up every other station's calls). Idempotent per
   * `reservation`: asking again keeps the reservation. Answers which limit refused it, if any; a call refused by the
   * ceiling does not count against its station.
   */
  reserveDailyCall(request: DailyCallReservation): Promise<'reserved' | DailyCallLimit>;

  /**
   * True for the first of a UTC day's asks about one limit (the station's, or the global ceiling): the one that tells
   * people the cap was reached. Later asks the same day are false, so a flood sends one notice, not thousands.
   */
  claimCapNotice(dayUtc: string, limit: DailyCallLimit, stationId: string): Promise<boolean>;
}

/** Which daily limit refused a call. */
export type DailyCallLimit = 'station-cap' | 'global-cap';

/** One call asked of the day's caps. */
export interface DailyCallReservation {
  dayUtc: string;
  stationId: string;
  /** The station's own cap for the day (its registry entry, else STATION_DAILY_CALL_CAP). */
  stationCap: number;
  /** The ceiling over all stations (DAILY_CALL_CAP). */
  globalCap: number;
  /** What the reservation is for (the inspection, or the inspection and the ladder call): asking twice counts once. */
  reservation: string;
}

/** Which inspection first saw an image's bytes (the alert state store, with the claim's lifetime bound in). */
export interface ImageClaims {
  /** Claim `sha256` for `inspectionId`: first seen (or the same inspection asking again), or the first inspection's id. */
  claim(sha256: string, inspectionId: string): Promise<ImageClaim>;
  /** Give back this inspection's claim (its pixels do not decode); another inspection's claim is left as it is. */
  release(sha256: string, inspectionId: string): Promise<void>;
}
