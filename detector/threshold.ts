/** How far above the highest held-out normal score the threshold sits, in units of the normal score spread. */
export const DEFAULT_THRESHOLD_MARGIN = 0.25;

/** The decision threshold and confidence scale chosen from held-out normal scores only. */
export interface ThresholdChoice {
  threshold: number;
  confidenceScale: number;
  median: number;
  max: number;
}

/**
 * Choose the threshold from normal images only: the highest held-out normal score plus a margin
 * proportional to the spread of normal scores (max − median), so the margin scales with the data
 * instead of being a guessed constant. The confidence scale puts the median normal image at 95 %
 * confidence of being normal.
 */
export function chooseThreshold(heldOutScores: readonly number[], margin = DEFAULT_THRESHOLD_MARGIN): ThresholdChoice {
  if (heldOutScores.length === 0) throw new Error('At least one held-out normal score is needed to choose a threshold');
  const sorted = [...heldOutScores].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1]!;
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const spread = Math.max(max - median, Math.abs(max) * 0.01, 1e-6);
  const threshold = max + margin * spread;
  const confidenceScale = Math.max((threshold - median) / Math.log(19), 1e-6);
  return { threshold, confidenceScale, median, max };
}
