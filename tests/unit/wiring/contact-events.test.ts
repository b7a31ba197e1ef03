import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/adapters/observability/logger';
import { createContactEventsDependencies, readContactEventsConfig } from '../../../functions/wiring/contact-events';

const ENV = {
  IMAGE_BUCKET: 'waferwatch-images',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
};

describe('the contact-events wiring', () => {
  it('needs the bucket, the alert state table and the alert queue it publishes on; no dead-letter queue, no Connect ids', () => {
    // Act
    const config = readContactEventsConfig(ENV);

    // Assess
    expect(config).toEqual({ AWS_REGION: 'us-east-1', ...ENV });
    const { ALERT_QUEUE_URL: _queue, ...withoutQueue } = ENV;
    expect(() => readContactEventsConfig(withoutQueue)).toThrow(/ALERT_QUEUE_URL environment variable is not set/);
  });

  it('builds the records, the ladders and the queue', () => {
    // Act
    const dependencies = createContactEventsDependencies(readContactEventsConfig(ENV), createLogger());

    // Assess
    expect(Object.keys(dependencies).sort()).toEqual(['ladders', 'logger', 'queue', 'store']);
  });
});
