import { describe, expect, it } from 'vitest';
import { callPolicyConfig, stationCooldownConfig } from '../../../functions/config/call-policy';
import { parseEnvironment } from '../../../functions/config/environment';

describe('callPolicyConfig', () => {
  it('applies the documented defaults', () => {
    // Act + Assess
    expect(parseEnvironment([callPolicyConfig], {})).toEqual({
      STATION_CALL_COOLDOWN_SECONDS: 300,
      DAILY_CALL_CAP: 100,
      STATION_DAILY_CALL_CAP: 20,
      ALERT_MAX_ATTEMPTS: 5,
      ALERT_RETRY_BASE_SECONDS: 10,
      ACK_TIMEOUT_SECONDS: 120,
      ESCALATION_LOOPS: 2,
    });
  });

  it('refuses out-of-range numbers by name', () => {
    // Act + Assess
    expect(() => parseEnvironment([callPolicyConfig], { STATION_CALL_COOLDOWN_SECONDS: '-1' })).toThrow(/STATION_CALL_COOLDOWN_SECONDS/);
    expect(() => parseEnvironment([callPolicyConfig], { DAILY_CALL_CAP: '0' })).toThrow(/DAILY_CALL_CAP/);
    expect(() => parseEnvironment([callPolicyConfig], { ALERT_MAX_ATTEMPTS: '1000' })).toThrow(/ALERT_MAX_ATTEMPTS/);
    // The ladder's timer is an SQS message delay: at most 900 s.
    expect(() => parseEnvironment([callPolicyConfig], { ACK_TIMEOUT_SECONDS: '901' })).toThrow(/ACK_TIMEOUT_SECONDS/);
    expect(parseEnvironment([callPolicyConfig], { DAILY_CALL_CAP: '20' }).DAILY_CALL_CAP).toBe(20);
  });
});

describe('stationCooldownConfig', () => {
  it('reads only the station cooldown, with the same rules', () => {
    // Act + Assess
    expect(parseEnvironment([stationCooldownConfig], { DAILY_CALL_CAP: '0' })).toEqual({ STATION_CALL_COOLDOWN_SECONDS: 300 });
    expect(() => parseEnvironment([stationCooldownConfig], { STATION_CALL_COOLDOWN_SECONDS: '86401' })).toThrow(/STATION_CALL_COOLDOWN_SECONDS/);
  });
});
