import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/config/environment';
import { createRecordDecisionDependencies, readRecordDecisionConfig } from '../../../functions/wiring/record-decision';

describe('readRecordDecisionConfig', () => {
  it('needs only the bucket, and reads the alert state table when there is one', () => {
    expect(readRecordDecisionConfig({ IMAGE_BUCKET: 'waferwatch-images' })).toEqual({ AWS_REGION: 'us-east-1', IMAGE_BUCKET: 'waferwatch-images' });
    expect(readRecordDecisionConfig({ IMAGE_BUCKET: 'waferwatch-images', ALERT_STATE_TABLE: 'alerts' })).toMatchObject({ ALERT_STATE_TABLE: 'alerts' });
  });

  it('names a missing bucket and a malformed endpoint', () => {
    expect(() => readRecordDecisionConfig({})).toThrow(/IMAGE_BUCKET environment variable is not set/);
    expect(() => readRecordDecisionConfig({ IMAGE_BUCKET: 'b-1', DYNAMODB_ENDPOINT: 'not a url' })).toThrow(ConfigurationError);
  });
});

describe('createRecordDecisionDependencies', () => {
  it('acknowledges ladders only when it has the alert state table', () => {
    // Act
    const without = createRecordDecisionDependencies(readRecordDecisionConfig({ IMAGE_BUCKET: 'waferwatch-images' }));
    const withTable = createRecordDecisionDependencies(readRecordDecisionConfig({ IMAGE_BUCKET: 'waferwatch-images', ALERT_STATE_TABLE: 'alerts' }));

    // Assess
    expect(without.ladders).toBeUndefined();
    expect(withTable.ladders).toBeDefined();
  });
});
