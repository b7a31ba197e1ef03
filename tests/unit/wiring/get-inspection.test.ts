import { describe, expect, it } from 'vitest';
import { createGetInspectionDependencies, readGetInspectionConfig } from '../../../functions/wiring/get-inspection';

describe('the get-inspection wiring', () => {
  it('needs only the bucket: no Connect ids, queue URLs or phone numbers', () => {
    // Act
    const config = readGetInspectionConfig({ IMAGE_BUCKET: 'waferwatch-images', STAGE: 'prod', ALLOWED_ORIGINS: 'https://site.example' });

    // Assess
    expect(config).toEqual({ AWS_REGION: 'us-east-1', IMAGE_BUCKET: 'waferwatch-images', STAGE: 'prod', ALLOWED_ORIGINS: ['https://site.example'] });
    expect(() => readGetInspectionConfig({})).toThrow(/IMAGE_BUCKET environment variable is not set/);
  });

  it('answers for camera uploads too: the route gets the camera upload store beside the inspection store', () => {
    // Act
    const dependencies = createGetInspectionDependencies(
      readGetInspectionConfig({ IMAGE_BUCKET: 'waferwatch-images', ALLOWED_ORIGINS: 'https://site.example' }),
    );

    // Assess
    expect(dependencies.uploads).toBeDefined();
    expect(dependencies.allowedOrigins).toEqual(['https://site.example']);
  });
});
