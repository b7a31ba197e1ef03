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
 * What became of the operator alert for one inspection. An anomalous inspection starts `queued` (the alert
 * message is on the alert queue) and the place-call function moves it on: `placed` (the call started),
 * `folded` (a call for the same station rang within the cooldown; this anomaly is told on the station's next
 * call) or `failed` (no call, and none will be retried; the message is parked in the dead-letter queue).
 * `not-queued`: the alert could not be put on the queue; sending the same image again queues it.
 */
export type AlertOutcome =
  | { status: 'queued'; queuedAt: string }
  | { status: 'placed'; contactId: string; placedAt: string; foldedCount?: number }
  | { status: 'folded'; intoInspectionId: string; foldedAt: string }
  | { status: 'skipped'; reason: 'not-anomalous' | 'below-threshold' | 'not-inspected' | 'duplicate' }
  | { status: 'failed'; reason: string; failedAt: string; code?: AlertFailureCode }
  | { status: 'not-queued'; reason: string; failedAt: string };

/** Why an alert ended without a call: Connect refused it, the daily cap was reached, or retries ran out. */
export type AlertFailureCode = 'CALL_REFUSED' | 'DAILY_CALL_CAP_REACHED' | 'RETRIES_EXHAUSTED' | 'INSPECTION_RECORD_MISSING';

/** The operator's answer to the call, recorded by the record-decision function. */
export interface OperatorDecision {
  decision: 'keep' | 'scrap' | 'hold';
  /** '1', '2', or 'no-input' when the flow fell back to its safe default. */
  key: '1' | '2' | 'no-input';
  contactId: string;
  decidedAt: string;
}

/** The detection result as stored: the mask lives in S3 beside the image, referenced by key. */
export type StoredDetection = Omit<DetectionResult, 'AnomalyMask'> & { anomalyMaskKey?: string };

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
   * Set when this record stands for a camera upload whose bytes were already inspected under another id: the image
   * is stored once, under that inspection, and the verdict is the same; no second alert is raised.
   */
  duplicateOf?: string;
  createdAt: string;
  updatedAt: string;
}
