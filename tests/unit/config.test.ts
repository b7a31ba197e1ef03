import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseConfig } from '../../functions/config/environment';

const valid = {
  IMAGE_BUCKET: 'waferwatch-images',
  CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
  CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
  OPERATOR_PHONE_NUMBER: '+447700900123',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
};

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(valid);
    expect(config).toMatchObject({ DETECTOR: 'embedded', MAX_IMAGE_BYTES: 4 * 1024 * 1024, MIN_IMAGE_SIDE: 64, MAX_IMAGE_SIDE: 4096, ALERT_CONFIDENCE_THRESHOLD: 0.5, ALERT_REVIEW_THRESHOLD: 0.3, ALLOWED_ORIGINS: [] });
    expect(config).toMatchObject({ STATION_CALL_COOLDOWN_SECONDS: 300, DAILY_CALL_CAP: 100, ALERT_MAX_ATTEMPTS: 5, IMAGE_DEDUPE_TTL_SECONDS: 14 * 86_400 });
    expect(config.SQS_ENDPOINT).toBeUndefined();
    expect(config.DYNAMODB_ENDPOINT).toBeUndefined();
  });

  it('names each missing alert queue and alert state variable', () => {
    // Prepare
    const { ALERT_QUEUE_URL: _queue, ALERT_DEAD_LETTER_QUEUE_URL: _deadLetter, ALERT_STATE_TABLE: _table, ...rest } = valid;
    // Act
    const parse = () => parseConfig(rest);
    // Assess
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(/ALERT_QUEUE_URL environment variable is not set/);
    expect(parse).toThrow(/ALERT_DEAD_LETTER_QUEUE_URL environment variable is not set/);
    expect(parse).toThrow(/ALERT_STATE_TABLE environment variable is not set/);
  });

  it('refuses queue URLs and emulator endpoints that are not URLs, and out-of-range alert policy numbers, by name', () => {
    expect(() => parseConfig({ ...valid, ALERT_QUEUE_URL: 'waferwatch-alerts' })).toThrow(/ALERT_QUEUE_URL/);
    expect(() => parseConfig({ ...valid, ALERT_DEAD_LETTER_QUEUE_URL: '' })).toThrow(/ALERT_DEAD_LETTER_QUEUE_URL/);
    expect(() => parseConfig({ ...valid, SQS_ENDPOINT: 'not a url' })).toThrow(/SQS_ENDPOINT/);
    expect(() => parseConfig({ ...valid, STATION_CALL_COOLDOWN_SECONDS: '-1' })).toThrow(/STATION_CALL_COOLDOWN_SECONDS/);
    expect(() => parseConfig({ ...valid, DAILY_CALL_CAP: '0' })).toThrow(/DAILY_CALL_CAP/);
    expect(() => parseConfig({ ...valid, ALERT_MAX_ATTEMPTS: '1000' })).toThrow(/ALERT_MAX_ATTEMPTS/);
    expect(parseConfig({ ...valid, SQS_ENDPOINT: 'http://127.0.0.1:9324', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000', DAILY_CALL_CAP: '20' })).toMatchObject({
      SQS_ENDPOINT: 'http://127.0.0.1:9324',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      DAILY_CALL_CAP: 20,
    });
  });

  it('names a missing variable', () => {
    const { OPERATOR_PHONE_NUMBER: _missing, ...rest } = valid;
    expect(() => parseConfig(rest)).toThrow(/OPERATOR_PHONE_NUMBER environment variable is not set/);
  });

  it('rejects a phone number that is not E.164, naming the variable and not echoing the value', () => {
    const error = (() => {
      try {
        parseConfig({ ...valid, OPERATOR_PHONE_NUMBER: '07700 900123' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigurationError');
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/OPERATOR_PHONE_NUMBER must be an E.164 phone number/);
    expect(error.message).not.toContain('900123');
  });

  it('requires the Lookout project and version when that detector is chosen', () => {
    expect(() => parseConfig({ ...valid, DETECTOR: 'lookoutvision', LOOKOUT_PROJECT_NAME: 'wafers' })).toThrow(/LOOKOUT_MODEL_VERSION/);
    expect(parseConfig({ ...valid, DETECTOR: 'lookoutvision', LOOKOUT_PROJECT_NAME: 'wafers', LOOKOUT_MODEL_VERSION: '3' }).DETECTOR).toBe('lookoutvision');
  });

  it('refuses a wildcard or malformed CORS origin outside the local stage', () => {
    expect(() => parseConfig({ ...valid, STAGE: 'prod', ALLOWED_ORIGINS: '*' })).toThrow(/ALLOWED_ORIGINS/);
    expect(() => parseConfig({ ...valid, STAGE: 'prod', ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/not an origin/);
    expect(parseConfig({ ...valid, STAGE: 'prod', ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443' }).ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(parseConfig({ ...valid, STAGE: 'local', ALLOWED_ORIGINS: '*' }).ALLOWED_ORIGINS).toEqual(['*']);
  });

  it('refuses a review threshold above the call threshold', () => {
    expect(() => parseConfig({ ...valid, ALERT_CONFIDENCE_THRESHOLD: '0.6', ALERT_REVIEW_THRESHOLD: '0.7' })).toThrow(/ALERT_REVIEW_THRESHOLD must not be above ALERT_CONFIDENCE_THRESHOLD/);
    expect(parseConfig({ ...valid, ALERT_CONFIDENCE_THRESHOLD: '0.9', ALERT_REVIEW_THRESHOLD: '0.6' })).toMatchObject({ ALERT_CONFIDENCE_THRESHOLD: 0.9, ALERT_REVIEW_THRESHOLD: 0.6 });
  });

  it('rejects out-of-range numbers by name', () => {
    expect(() => parseConfig({ ...valid, ALERT_CONFIDENCE_THRESHOLD: '1.5' })).toThrow(/ALERT_CONFIDENCE_THRESHOLD/);
    expect(() => parseConfig({ ...valid, MAX_IMAGE_BYTES: 'lots' })).toThrow(/MAX_IMAGE_BYTES/);
  });
});
