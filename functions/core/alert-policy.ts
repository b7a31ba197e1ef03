import type { DetectionResult } from './detection';
import type { AlertOutcome } from './inspection';

/** When an inspection rings the operator. */
export interface AlertPolicy {
  /** Anomalous verdicts with at least this confidence (0–1) place a call. */
  confidenceThreshold: number;
}

export type AlertDecision = { call: true; confidencePercent: number } | { call: false; outcome: Extract<AlertOutcome, { status: 'skipped' }> };

/** Decide from a detection result whether to call the operator, and what confidence to speak. */
export function decideAlert(detection: DetectionResult, policy: AlertPolicy): AlertDecision {
  if (!detection.IsAnomalous) return { call: false, outcome: { status: 'skipped', reason: 'not-anomalous' } };
  if (detection.Confidence < policy.confidenceThreshold) return { call: false, outcome: { status: 'skipped', reason: 'below-threshold' } };
  return { call: true, confidencePercent: toWholePercent(detection.Confidence) };
}

/** Confidence 0–1 as the whole percent the operator hears; never rounds up to a misleading 100. */
export function toWholePercent(confidence: number): number {
  const percent = Math.floor(Math.min(Math.max(confidence, 0), 1) * 100);
  return Number.isFinite(percent) ? percent : 0;
}
