import { describe, expect, it } from 'vitest';
import { anomalyLikelihood, decideAlert, toWholePercent } from '../../../functions/core/alert-policy';
import { verdict } from '../../fixtures/fakes';

const bands = { confidenceThreshold: 0.8, reviewThreshold: 0.4 };

describe('decideAlert', () => {
  it('calls for inspections at or above the call threshold only', () => {
    expect(decideAlert(verdict(true, 0.8), bands)).toEqual({ call: true, status: 'anomalous', confidencePercent: 80 });
    expect(decideAlert(verdict(true, 0.79), bands)).toEqual({ call: false, status: 'needs-review', outcome: { status: 'skipped', reason: 'below-threshold' } });
  });

  it('sorts the rest into needs-review and normal by how likely the wafer is anomalous', () => {
    // A normal verdict held with only 55 % confidence is 45 % likely anomalous: worth a look.
    expect(decideAlert(verdict(false, 0.55), bands)).toEqual({ call: false, status: 'needs-review', outcome: { status: 'skipped', reason: 'not-anomalous' } });
    expect(decideAlert(verdict(false, 0.6), bands)).toEqual({ call: false, status: 'needs-review', outcome: { status: 'skipped', reason: 'not-anomalous' } });
    expect(decideAlert(verdict(false, 0.61), bands)).toEqual({ call: false, status: 'normal', outcome: { status: 'skipped', reason: 'not-anomalous' } });
    expect(decideAlert(verdict(false, 0.99), bands).status).toBe('normal');
  });

  it('never calls an anomalous verdict merely not anomalous, even below the review band', () => {
    expect(decideAlert(verdict(true, 0.35), bands)).toEqual({ call: false, status: 'normal', outcome: { status: 'skipped', reason: 'below-threshold' } });
  });

  it('has no review band when both thresholds are equal', () => {
    const noBand = { confidenceThreshold: 0.5, reviewThreshold: 0.5 };
    expect(decideAlert(verdict(true, 0.5), noBand).status).toBe('anomalous');
    expect(decideAlert(verdict(false, 0.51), noBand).status).toBe('normal');
  });

  it('reads likelihood from the verdict and the confidence in it', () => {
    expect(anomalyLikelihood({ IsAnomalous: true, Confidence: 0.9 })).toBe(0.9);
    expect(anomalyLikelihood({ IsAnomalous: false, Confidence: 0.9 })).toBeCloseTo(0.1);
  });

  it('speaks whole percents without rounding up to certainty', () => {
    expect(toWholePercent(0.999)).toBe(99);
    expect(toWholePercent(1)).toBe(100);
    expect(toWholePercent(0.5)).toBe(50);
    expect(toWholePercent(-0.2)).toBe(0);
    expect(toWholePercent(Number.NaN)).toBe(0);
  });
});
