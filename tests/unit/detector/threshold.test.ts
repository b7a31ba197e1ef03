import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD_MARGIN, chooseThreshold } from '../../../detector/threshold';
import { anomalyProbability } from '../../../functions/adapters/embedded-detector/embedded-detector';

describe('chooseThreshold', () => {
  it('sits the margin above the highest held-out normal score', () => {
    // Prepare
    const scores = [1.8, 1.7, 2.0, 1.9, 1.75];

    // Act
    const choice = chooseThreshold(scores, 0.2);

    // Assess
    expect(choice.max).toBe(2.0);
    expect(choice.median).toBe(1.8);
    expect(choice.threshold).toBeCloseTo(2.4, 10);
    expect(scores.every((s) => s < choice.threshold)).toBe(true);
  });

  it('calibrates confidence: 50 % at the threshold, 95 % "normal" for the median normal image, near certain far above', () => {
    // Prepare
    const choice = chooseThreshold([1.0, 1.2, 1.4, 1.1, 1.3]);

    // Act
    const atThreshold = anomalyProbability(choice.threshold, choice.threshold, choice.confidenceScale);
    const atMedian = anomalyProbability(choice.median, choice.threshold, choice.confidenceScale);
    const farAbove = anomalyProbability(choice.threshold * 2, choice.threshold, choice.confidenceScale);

    // Assess
    expect(atThreshold).toBeCloseTo(0.5, 10);
    expect(1 - atMedian).toBeCloseTo(0.95, 10);
    expect(farAbove).toBeGreaterThan(0.99);
  });

  it('uses the default margin when none is given and does not depend on the order of the scores', () => {
    // Prepare
    const scores = [3, 1, 2];

    // Act
    const choice = chooseThreshold(scores);
    const reordered = chooseThreshold([2, 3, 1]);

    // Assess
    expect(choice.threshold).toBeCloseTo(3 * (1 + DEFAULT_THRESHOLD_MARGIN), 10);
    expect(reordered).toEqual(choice);
  });

  it('refuses to choose without normal scores or with a negative margin', () => {
    // Prepare
    const none: number[] = [];

    // Act
    const choose = () => chooseThreshold(none);

    // Assess
    expect(choose).toThrow(/held-out normal score/);
    expect(() => chooseThreshold([1], -0.1)).toThrow(/margin/);
  });
});
