import { describe, expect, it } from 'vitest';
import { alertPolicyConfig } from '../../../functions/config/alert-policy';
import { parseEnvironment } from '../../../functions/config/environment';

describe('alertPolicyConfig', () => {
  it('rings at 0.5 and lists for review from 0.3 unless told otherwise', () => {
    // Act + Assess
    expect(parseEnvironment([alertPolicyConfig], {})).toEqual({ ALERT_CONFIDENCE_THRESHOLD: 0.5, ALERT_REVIEW_THRESHOLD: 0.3 });
  });

  it('refuses a review threshold above the call threshold, and thresholds outside 0..1', () => {
    // Act + Assess
    expect(() => parseEnvironment([alertPolicyConfig], { ALERT_CONFIDENCE_THRESHOLD: '0.6', ALERT_REVIEW_THRESHOLD: '0.7' })).toThrow(
      /ALERT_REVIEW_THRESHOLD must not be above ALERT_CONFIDENCE_THRESHOLD/,
    );
    expect(parseEnvironment([alertPolicyConfig], { ALERT_CONFIDENCE_THRESHOLD: '0.9', ALERT_REVIEW_THRESHOLD: '0.6' })).toEqual({
      ALERT_CONFIDENCE_THRESHOLD: 0.9,
      ALERT_REVIEW_THRESHOLD: 0.6,
    });
    expect(() => parseEnvironment([alertPolicyConfig], { ALERT_CONFIDENCE_THRESHOLD: '1.5' })).toThrow(/ALERT_CONFIDENCE_THRESHOLD/);
  });
});
