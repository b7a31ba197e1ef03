import { describe, expect, it } from 'vitest';
import { alertStateConfig, imageDedupeConfig, optionalAlertStateConfig } from '../../../functions/config/alert-state';
import { parseEnvironment } from '../../../functions/config/environment';

describe('alertStateConfig', () => {
  it('requires the table by name and reads the DynamoDB emulator endpoint', () => {
    // Act + Assess
    expect(() => parseEnvironment([alertStateConfig], {})).toThrow(/ALERT_STATE_TABLE environment variable is not set/);
    expect(() => parseEnvironment([alertStateConfig], { ALERT_STATE_TABLE: 'alerts', DYNAMODB_ENDPOINT: 'not a url' })).toThrow(/DYNAMODB_ENDPOINT/);
    expect(parseEnvironment([alertStateConfig], { ALERT_STATE_TABLE: 'alerts', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toEqual({
      ALERT_STATE_TABLE: 'alerts',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });
  });
});

describe('optionalAlertStateConfig', () => {
  it('reads the table when there is one, and is content without', () => {
    // Act + Assess
    expect(parseEnvironment([optionalAlertStateConfig], {})).toEqual({});
    expect(parseEnvironment([optionalAlertStateConfig], { ALERT_STATE_TABLE: 'alerts' })).toEqual({ ALERT_STATE_TABLE: 'alerts' });
  });
});

describe('imageDedupeConfig', () => {
  it('keeps an image claim for 14 days unless told otherwise', () => {
    // Act + Assess
    expect(parseEnvironment([imageDedupeConfig], {})).toEqual({ IMAGE_DEDUPE_TTL_SECONDS: 14 * 86_400 });
    expect(() => parseEnvironment([imageDedupeConfig], { IMAGE_DEDUPE_TTL_SECONDS: '0' })).toThrow(/IMAGE_DEDUPE_TTL_SECONDS/);
  });
});
