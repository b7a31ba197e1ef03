import type { DetectionResult } from './detection';
import type { AlertOutcome, InspectionStatus } from './inspection';

/**
 * The confidence bands that decide what an inspection becomes. Both thresholds apply to how likely
 * the wafer is anomalous (see anomalyLikelihood): at or above `confidenceThreshold` the operator is
 * called; from `reviewThreshold` up to it the inspection needs review (no call); below, it is normal.
 */
export interface AlertPolicy {
  confidenceThreshold: number;
  reviewThreshold: number;
}

export type AlertDecision =
  | { call: true; status: 'anomalous'; confidencePercent: number }
  | { call: false; status: Exclude<InspectionStatus, 'anomalous' | 'not-inspected'>; outcome: Extract<AlertOutcome, { status: 'skipped' }> };

/**
 * How likely the wafer is anomalous, from a verdict and the detector's confidence in it: Lookout's
 * Confidence is confidence in the verdict, so a normal verdict at 0.6 means 0.4 likely anomalous.
 */
export function anomalyLikelihood(detection: Pick<DetectionResult, 'IsAnomalous' | 'Confidence'>): number {
  return detection.IsAnomalous ? detection.Confidence : 1 - detection.Confidence;
}

/** Decide from a detection result what the inspection is, whether to call the operator, and what confidence to speak. */
export function decideAlert(detection: DetectionResult, policy: AlertPolicy): AlertDecision {
  const likelihood = anomalyLikelihood(detection);
  if (likelihood >= policy.confidenceThreshold) return { call: true, status: 'anomalous', confidencePercent: toWholePercent(likelihood) };
  // A detector that says "anomalous" is never recorded as simply not anomalous, whatever the band.
  const reason = detection.IsAnomalous ? 'below-threshold' : 'not-anomalous';
  const status = likelihood >= policy.reviewThreshold ? 'needs-review' : 'normal';
  return { call: false, status, outcome: { status: 'skipped', reason } };
}

/** Confidence 0–1 as the whole percent the operator hears; never rounds up to a misleading 100. */
export function toWholePercent(confidence: number): number {
  const percent = Math.floor(Math.min(Math.max(confidence, 0), 1) * 100);
  return Number.isFinite(percent) ? percent : 0;
}
