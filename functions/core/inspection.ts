import type { DetectionResult } from './detection';

/** Where an inspection's image came from. */
export type InspectionSource = 'api' | 'camera';

/**
 * `anomalous` (the operator is called), `needs-review` (between the review and call thresholds, no
 * call) and `normal`: the detector answered, sorted into the configured confidence bands.
 * `not-inspected`: the image is stored but the detector could not answer; it can be re-run later.
 */
export const INSPECTION_STATUSES = ['normal', 'needs-review', 'anomalous', 'not-inspected'] as const;
export type InspectionStatus = (typeof INSPECTION_STATUSES)[number];

/**
 * What became of the operator alert for one inspection. An anomalous inspection starts `queued` (the alert message is
 * on the alert queue) and the place-call function moves it on:
 * - `ringing`: the station's escalation ladder is calling; `attempts` lists every call so far.
 * - `acknowledged`: a person pressed a key on one of those calls (`acknowledgedBy`). For a `folded` anomaly, the call
 *   that told it was acknowledged (`viaInspectionId`).
 * - `unacknowledged`: every level of the ladder was rung, every loop, and nobody pressed a key; people were notified.
 * - `folded`: a call for the same station rang within the cooldown; this anomaly is told on the station's next call,
 *   or by a call of its own when the cooldown ends.
 * - `failed`: no call could be started at all (refused, the daily cap, retries ran out); the message is parked in the
 *   dead-letter queue and people were notified.
 * - `not-queued`: the alert could not be put on the queue; sending the same image again queues it.
 * - `skipped`: no call was needed.
 * `placed` is what records written before escalation ladders said once a call started; it is never written now.
 */
export type AlertOutcome =
  | { status: 'queued'; queuedAt: string }
  | RingingAlert
  | AcknowledgedAlert
  | UnacknowledgedAlert
  | { status: 'placed'; contactId: string; placedAt: string; foldedCount?: number }
  | { status: 'folded'; intoInspectionId: string; foldedAt: string }
  | { status: 'skipped'; reason: 'not-anomalous' | 'below-threshold' | 'not-inspected' | 'duplicate' }
  | { status: 'failed'; reason: string; failedAt: string; code?: AlertFailureCode; attempts?: CallAttempt[] }
  | { status: 'not-queued'; reason: string; failedAt: string };

/** The statuses an alert can have. */
export type AlertStatus = AlertOutcome['status'];

/** Every alert status once; a Record over AlertStatus, so a new status does not compile until it is listed here. */
const EVERY_ALERT_STATUS: Readonly<Record<AlertStatus, true>> = {
  queued: true,
  ringing: true,
  acknowledged: true,
  unacknowledged: true,
  placed: true,
  folded: true,
  skipped: true,
  failed: true,
  'not-queued': true,
};
/** Every alert status, for reading one from a request. */
export const ALERT_STATUSES: readonly AlertStatus[] = Object.keys(EVERY_ALERT_STATUS) as AlertStatus[];

/** What the ladder's calls are about: one anomaly (with those folded into it), or anomalies folded during a cooldown. */
export type CallKind = 'anomaly' | 'folded';

/** Shared by the alert states that have calls. */
interface LadderProgress {
  /** When the first call of the ladder started. */
  startedAt: string;
  callKind?: CallKind;
  /** Anomalies told on these calls besides this one (the cooldown's folds), and their inspections when known. */
  foldedCount?: number;
  foldedInspectionIds?: string[];
  /** Every call, in the order they were started. */
  attempts: CallAttempt[];
}

export interface RingingAlert extends LadderProgress {
  status: 'ringing';
  /** The level (1-based) and loop (1-based) being rung. */
  level: number;
  loop: number;
}

export interface AcknowledgedAlert extends Partial<LadderProgress> {
  status: 'acknowledged';
  acknowledgedAt: string;
  acknowledgedBy: Acknowledgement;
  /** Set on an anomaly that was folded into another inspection's calls: the inspection whose call was acknowledged. */
  viaInspectionId?: string;
}

export interface UnacknowledgedAlert extends LadderProgress {
  status: 'unacknowledged';
  unacknowledgedAt: string;
}

/**
 * How one call of a ladder went. `ringing` until its outcome is known; `answered` while the person is on it;
 * `unconfirmed` when Connect was asked to call and its answer was lost (the call may be ringing: it is not asked for
 * again, so nobody is rung twice, and the ladder moves on at its timer).
 */
export type CallAttemptOutcome =
  'ringing' | 'answered' | 'acknowledged' | 'no-answer' | 'busy' | 'voicemail' | 'ended-without-key' | 'not-started' | 'unconfirmed';

/** One call of an escalation ladder, as the record keeps it. */
export interface CallAttempt {
  /** Position in the whole run of the ladder (0-based): level and loop together. */
  step: number;
  level: number;
  loop: number;
  contactName: string;
  /** Masked (country code and last four digits): never the full number. */
  phone: string;
  /** Amazon Connect's contact id; absent when the call could not be started. */
  contactId?: string;
  startedAt: string;
  outcome: CallAttemptOutcome;
  endedAt?: string;
  /** Why a call was not started or how it ended, in words. */
  reason?: string;
  /** The key pressed and when, when this call acknowledged the alert. */
  key?: '1' | '2';
  acknowledgedAt?: string;
}

/** Who acknowledged an alert, with which key, and when. */
export interface Acknowledgement {
  contactName: string;
  contactId: string;
  key: '1' | '2';
  decision: 'keep' | 'scrap';
  at: string;
  level?: number;
  loop?: number;
}

/** Why an alert ended without a call: Connect refused it, the daily cap was reached, or retries ran out. */
export type AlertFailureCode = 'CALL_REFUSED' | 'DAILY_CALL_CAP_REACHED' | 'RETRIES_EXHAUSTED' | 'INSPECTION_RECORD_MISSING' | 'NO_CONTACT_TO_CALL';

/** The operator's answer to the call, recorded by the record-decision function. */
export interface OperatorDecision {
  decision: 'keep' | 'scrap' | 'hold';
  /** '1' or '2'; 'no-input' only on records from before the flow stopped recording a silence default. */
  key: '1' | '2' | 'no-input';
  contactId: string;
  decidedAt: string;
}

/** The detection result as stored: the mask lives in S3 beside the image, referenced by key. */
export type StoredDetection = Omit<DetectionResult, 'AnomalyMask'> & { anomalyMaskKey?: string };

/** What a person said a wafer is. */
export type LabelVerdict = 'normal' | 'anomalous';
export const LABEL_VERDICTS: readonly LabelVerdict[] = ['normal', 'anomalous'];

/** A person's label on an inspection: the verdict, who gave it and how, and where its image is kept for training. */
export interface InspectionLabel {
  verdict: LabelVerdict;
  source: 'operator-call' | 'engineer-review';
  /** Who said it: the contact's name from the registry, or the signed-in engineer's name. */
  by: string;
  at: string;
  /** The engineer's words, if any (at most 500 characters). */
  note?: string;
  /** Where the labelled image is kept: feedback/<station>/<verdict>/<inspection id>.<png|jpg>. */
  feedbackKey: string;
}

/** The JSON record stored beside each accepted image: the single source of truth about an inspection. */
export interface InspectionRecord {
  inspectionId: string;
  /** Station or tool that produced the image, or "default" when none was named. */
  stationId: string;
  source: InspectionSource;
  status: InspectionStatus;
  image: {
    key: string;
    contentType: 'image/png' | 'image/jpeg';
    sizeBytes: number;
    width: number;
    height: number;
    sha256: string;
  };
  detection?: StoredDetection;
  /** Why detection is missing, when status is not-inspected. */
  detectionError?: { code: string; message: string };
  alert: AlertOutcome;
  decision?: OperatorDecision;
  /**
   * What people said the wafer is, to learn from: an operator's answer on the call (keep manufacturing: normal; scrap:
   * a defect) or an engineer's review on the page, which outranks it. The image is kept under `feedbackKey` for
   * training (`npm run train -- --include-feedback`).
   */
  label?: InspectionLabel;
  /**
   * Set when this record stands for a camera upload whose bytes were already inspected under another id: the image
   * is stored once, under that inspection, and the verdict is the same; no second alert is raised.
   */
  duplicateOf?: string;
  createdAt: string;
  updatedAt: string;
}
