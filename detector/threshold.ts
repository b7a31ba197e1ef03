/**
 * Relative margin above the highest held-out normal score. Held-out scores come from a handful of
 * images of one acquisition set; evaluation showed normal wafers from another encoding or framing
 * scoring up to ~11 % above them, while the subtlest defects scored over 60 % above. 20 % sits between.
 */
export const DEFAULT_THRESHOLD_MARGIN = 0.2;
/**
 * The margin training uses when the held-out scores include copies drifted like a camera (zoom, blur): they
 * already cover much of what the wider margin guessed at, and a wider one costs blurred scratches.
 */
export const DRIFT_CALIBRATED_MARGIN = 0.1;

/** The decision threshold and confidence scale chosen from held-out normal scores only. */
export interface ThresholdChoice {
  threshold: number;
  confidenceScale: number;
  median: number;
  max: number;
}

/**
 * Choose the threshold from normal images only: the highest held-out normal score raised by a
 * relative margin (scores are distances, so the margin scales with them). The confidence scale puts
 * the median held-out normal image at 95 % confidence of being normal, and the threshold at 50 %.
 */
export function chooseThreshold(heldOutScores: readonly number[], margin = DEFAULT_THRESHOLD_MARGIN): ThresholdChoice {
  if (heldOutScores.length === 0) throw new Error('At least one held-out normal score is needed to choose a threshold');
  if (!(margin >= 0)) throw new Error('The threshold margin must be zero or more');
  const sorted = [...heldOutScores].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1]!;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const threshold = max * (1 + margin);
  const confidenceScale = Math.max((threshold - median) / Math.log(19), 1e-6);
  return { threshold, confidenceScale, median, max };
}
