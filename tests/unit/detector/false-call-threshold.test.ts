import { describe, expect, it } from 'vitest';
import { binomialUpperBound, chooseThresholdForFalseCallRate, describeFalseCallEstimate } from '../../../detector/threshold';

describe('chooseThresholdForFalseCallRate', () => {
  it('sits on the (k + 1)-th highest held-out score, k the most calls whose expected rate (k + 1) / (n + 1) is within the target', () => {
    // Prepare: 199 held-out normals, scores 1..199.
    const scores = Array.from({ length: 199 }, (_, i) => i + 1);

    // Act
    const choice = chooseThresholdForFalseCallRate(scores, 0.01, 1000);

    // Assess: (k + 1) / 200 ≤ 1 % → k = 1, so the threshold is the 2nd highest score and only the highest is called.
    expect(choice).toMatchObject({ reached: true, threshold: 198, called: 1, heldOut: 199 });
    expect(choice.expected).toBeCloseTo(0.01, 10);
    expect(choice.upper95).toBeGreaterThan(0.01);
    expect(describeFalseCallEstimate(choice)).toMatch(/^1\/199 held-out normals called: .*The estimate is weak/);
  });

  it('keeps the fallback threshold and says so when there are too few held-out normals for the target', () => {
    // Prepare
    const scores = Array.from({ length: 24 }, (_, i) => 2 + i / 100);

    // Act
    const choice = chooseThresholdForFalseCallRate(scores, 0.01, 2.5);

    // Assess
    expect(choice).toMatchObject({ reached: false, threshold: 2.5, called: 0, neededForExpected: 99, neededFor95: 299 });
    expect(describeFalseCallEstimate(choice)).toMatch(
      /^0\/24 held-out normals called: estimated false-call rate 4\.0 % on average, ≤ 12 % at 95 % confidence\. Too few held-out normals/,
    );
  });

  it('refuses a target outside (0, 1) and an empty set of scores', () => {
    // Prepare
    const scores = [1, 2, 3];

    // Act
    const outside = [0, 1, -0.1, Number.NaN].map((target) => () => chooseThresholdForFalseCallRate(scores, target, 4));
    const empty = () => chooseThresholdForFalseCallRate([], 0.1, 4);

    // Assess
    for (const choose of outside) expect(choose).toThrow(/above 0 and below 1/);
    expect(empty).toThrow(/At least one held-out/);
  });
});

describe('binomialUpperBound', () => {
  it('is 1 − 0.05^(1/n) with none seen (the rule of three), and the Clopper–Pearson bound otherwise', () => {
    // Prepare
    const n = 24;

    // Act
    const none = binomialUpperBound(0, n, 0.95);
    const one = binomialUpperBound(1, 100, 0.95);

    // Assess
    expect(none).toBeCloseTo(1 - 0.05 ** (1 / n), 8);
    expect(one).toBeCloseTo(0.0466, 3);
    expect(binomialUpperBound(5, 5, 0.95)).toBe(1);
  });
});
