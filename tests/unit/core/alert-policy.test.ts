import { describe, expect, it } from 'vitest';
import { decideAlert, toWholePercent } from '../../../functions/core/alert-policy';
import { verdict } from '../../fixtures/fakes';

describe('decideAlert', () => {
  it('calls for anomalies at or above the threshold only', () => {
    expect(decideAlert(verdict(true, 0.8), { confidenceThreshold: 0.8 })).toEqual({ call: true, confidencePercent: 80 });
    expect(decideAlert(verdict(true, 0.79), { confidenceThreshold: 0.8 })).toEqual({ call: false, outcome: { status: 'skipped', reason: 'below-threshold' } });
    expect(decideAlert(verdict(false, 0.99), { confidenceThreshold: 0.1 })).toEqual({ call: false, outcome: { status: 'skipped', reason: 'not-anomalous' } });
  });

  it('speaks whole percents without rounding up to certainty', () => {
    expect(toWholePercent(0.999)).toBe(99);
    expect(toWholePercent(1)).toBe(100);
    expect(toWholePercent(0.5)).toBe(50);
    expect(toWholePercent(-0.2)).toBe(0);
    expect(toWholePercent(Number.NaN)).toBe(0);
  });
});
