import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/adapters/observability/logger';
import { createCameraUploadDependencies, readProcessCameraUploadConfig } from '../../../functions/wiring/process-camera-upload';

const ENV = {
  IMAGE_BUCKET: 'waferwatch-images',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
};

describe('the process-camera-upload wiring', () => {
  it("bounds the pipeline by the camera path's size limit, serves the image bucket only, and names no CORS origins", () => {
    // Act
    const config = readProcessCameraUploadConfig({ ...ENV, CAMERA_MAX_IMAGE_BYTES: '5000' });
    const dependencies = createCameraUploadDependencies(config, createLogger());

    // Assess
    expect(config).not.toHaveProperty('ALLOWED_ORIGINS');
    expect(dependencies.inspection.limits).toEqual({ maxBytes: 5000, minSide: 64, maxSide: 4096 });
    expect(dependencies.bucket).toBe('waferwatch-images');
    expect(dependencies.defaultStationId).toBe('default');
  });
});
