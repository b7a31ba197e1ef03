import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/adapters/observability/logger';
import { createInspectImageDependencies, readInspectImageConfig } from '../../../functions/wiring/inspect-image';

const ENV = {
  IMAGE_BUCKET: 'waferwatch-images',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
};

describe('the inspect-image wiring', () => {
  it('needs the bucket, the alert queue and the alert state table; no Connect ids, phone numbers or dead-letter queue', () => {
    // Act
    const config = readInspectImageConfig(ENV);

    // Assess
    expect(config).toMatchObject({ ...ENV, DETECTOR: 'embedded', MAX_IMAGE_BYTES: 4 * 1024 * 1024, ALERT_CONFIDENCE_THRESHOLD: 0.5 });
    expect(config).not.toHaveProperty('OPERATOR_PHONE_NUMBER');
  });

  it('bounds the pipeline by the API limits and decodes with sharp before anything is stored', () => {
    // Act
    const dependencies = createInspectImageDependencies(
      readInspectImageConfig({ ...ENV, MAX_IMAGE_BYTES: '1000', ALLOWED_ORIGINS: 'https://site.example' }),
      createLogger(),
    );

    // Assess
    expect(dependencies.inspection.limits).toEqual({ maxBytes: 1000, minSide: 64, maxSide: 4096 });
    expect(dependencies.inspection.decoder.constructor.name).toBe('SharpImageDecoder');
    expect(dependencies.allowedOrigins).toEqual(['https://site.example']);
  });
});
