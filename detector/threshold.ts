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

/** How a threshold set for a target false-call rate rests on the held-out normals it was chosen from. */
export interface FalseCallRateChoice {
  threshold: number;
  /** The target false-call rate asked for (0 to 1). */
  target: number;
  /** Held-out normal images the threshold rests on (one score each). */
  heldOut: number;
  /** How many of them score above the threshold (are called). */
  called: number;
  /**
   * The expected false-call rate on new normals, (called + 1) / (heldOut + 1): for a threshold at an order statistic of
   * n exchangeable scores, the rate above it is Beta(called + 1, n − called) distributed, whatever the scores' law.
   */
  expected: number;
  /** The rate that distribution stays under with 95 % probability (the Clopper–Pearson upper bound of called / n). */
  upper95: number;
  /**
   * False when there are too few held-out normals to place the threshold for the target (the expected rate with none
   * called, 1 / (n + 1), is above it): the threshold is then the fallback one, and the estimate is what it rests on.
   */
  reached: boolean;
  /** Held-out normals needed, none called, for the target to be the expected rate, and for its 95 % upper bound. */
  neededForExpected: number;
  neededFor95: number;
}

/**
 * The threshold for a target false-call rate on held-out normals: the lowest threshold (the most recall) that calls
 * at most k of the n held-out normals, with k the largest count whose expected rate (k + 1) / (n + 1) is within the
 * target. A normal is called when its score is above the threshold, so the threshold sits on the (k + 1)-th highest
 * score. With too few normals for that (1 / (n + 1) above the target) the threshold is `fallback` (the margin method,
 * above every held-out score) and `reached` is false. Scores are one per held-out image: copies of one image are not
 * independent normals and must be folded into one score (their highest) by the caller.
 */
export function chooseThresholdForFalseCallRate(perImageScores: readonly number[], target: number, fallback: number): FalseCallRateChoice {
  if (!(target > 0 && target < 1)) throw new Error('The target false-call rate must be above 0 and below 1 (e.g. 0.01 for 1 %)');
  const n = perImageScores.length;
  if (n === 0) throw new Error('At least one held-out normal score is needed to choose a threshold');
  const descending = [...perImageScores].sort((a, b) => b - a);
  const k = Math.floor(target * (n + 1) - 1 + 1e-9);
  const neededForExpected = Math.max(1, Math.ceil(1 / target - 1 - 1e-9));
  const neededFor95 = Math.ceil(Math.log(0.05) / Math.log(1 - target) - 1e-9);
  if (k < 0) {
    const called = descending.filter((score) => score > fallback).length;
    return {
      threshold: fallback,
      target,
      heldOut: n,
      called,
      expected: (called + 1) / (n + 1),
      upper95: binomialUpperBound(called, n, 0.95),
      reached: false,
      neededForExpected,
      neededFor95,
    };
  }
  const threshold = descending[Math.min(k, n - 1)]!;
  // Ties at the threshold are not called (score > threshold), so count what really is.
  const called = descending.filter((score) => score > threshold).length;
  return {
    threshold,
    target,
    heldOut: n,
    called,
    expected: (called + 1) / (n + 1),
    upper95: binomialUpperBound(called, n, 0.95),
    reached: true,
    neededForExpected,
    neededFor95,
  };
}

/**
 * The one-sided Clopper–Pearson upper bound of a rate seen `k` times in `n`: the p at which seeing k or fewer has
 * probability 1 − confidence (by bisection on the binomial distribution function). For k = 0 it is 1 − (1 − c)^(1/n).
 */
export function binomialUpperBound(k: number, n: number, confidence: number): number {
  if (k >= n) return 1;
  const alpha = 1 - confidence;
  let low = k / n;
  let high = 1;
  for (let step = 0; step < 100; step++) {
    const mid = (low + high) / 2;
    if (binomialCdf(k, n, mid) > alpha) low = mid;
    else high = mid;
  }
  return high;
}

/** P(X ≤ k) for X ~ Binomial(n, p), summed in log space so large n does not underflow. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let sum = 0;
  let logTerm = n * Math.log(1 - p);
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(logTerm);
    logTerm += Math.log((n - i) / (i + 1)) + Math.log(p / (1 - p));
  }
  return Math.min(1, sum);
}

/** One line saying what a false-call-rate threshold rests on, e.g. "0/24 held-out normals called: …". */
export function describeFalseCallEstimate(choice: FalseCallRateChoice): string {
  const percent = (rate: number) => `${(100 * rate).toFixed(rate < 0.1 ? 1 : 0)} %`;
  const line =
    `${choice.called}/${choice.heldOut} held-out normals called: estimated false-call rate ${percent(choice.expected)} on average, ` +
    `≤ ${percent(choice.upper95)} at 95 % confidence`;
  if (!choice.reached)
    return (
      `${line}. Too few held-out normals to set the threshold for ${percent(choice.target)}: that needs at least ` +
      `${choice.neededForExpected} (none called) for ${percent(choice.target)} on average and ${choice.neededFor95} to be 95 % sure of it; ` +
      `the threshold stays at the margin method's (highest held-out score × (1 + margin)).`
    );
  if (choice.upper95 > choice.target)
    return `${line}. The estimate is weak: ${percent(choice.target)} is the expected rate, not a bound; at least ${choice.neededFor95} held-out normals (none called) would make it one.`;
  return `${line}.`;
}
