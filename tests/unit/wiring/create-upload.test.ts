import { describe, expect, it } from 'vitest';
import { createUploadDependencies, readCreateUploadConfig } from '../../../functions/wiring/create-upload';

describe('the create-upload wiring', () => {
  it('grants CAMERA_MAX_IMAGE_BYTES for UPLOAD_URL_EXPIRY_SECONDS, without Connect ids, queues or phone numbers', () => {
    // Act
    const dependencies = createUploadDependencies(
      readCreateUploadConfig({ IMAGE_BUCKET: 'waferwatch-images', CAMERA_MAX_IMAGE_BYTES: '1048576', UPLOAD_URL_EXPIRY_SECONDS: '60' }),
    );

    // Assess
    expect(dependencies).toMatchObject({ maxBytes: 1_048_576, expiresInSeconds: 60, allowedOrigins: [] });
    expect(dependencies.stations).toBeUndefined();
  });

  it('checks stations against the registry when STATION_REGISTRY_TABLE names one', () => {
    // Act
    const dependencies = createUploadDependencies(readCreateUploadConfig({ IMAGE_BUCKET: 'waferwatch-images', STATION_REGISTRY_TABLE: 'stations' }));

    // Assess
    expect(dependencies.stations).toBeTypeOf('function');
  });
});
