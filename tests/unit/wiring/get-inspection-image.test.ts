import { describe, expect, it } from 'vitest';
import { createGetInspectionImageDependencies, readGetInspectionImageConfig } from '../../../functions/wiring/get-inspection-image';

describe('the get-inspection-image wiring', () => {
  it('needs only the bucket and the CORS origins: no Connect ids, queue URLs or phone numbers', () => {
    // Act
    const config = readGetInspectionImageConfig({ IMAGE_BUCKET: 'waferwatch-images', STAGE: 'prod', ALLOWED_ORIGINS: 'https://site.example' });

    // Assess
    expect(config).toEqual({ AWS_REGION: 'us-east-1', IMAGE_BUCKET: 'waferwatch-images', STAGE: 'prod', ALLOWED_ORIGINS: ['https://site.example'] });
    expect(() => readGetInspectionImageConfig({})).toThrow(/IMAGE_BUCKET environment variable is not set/);
  });

  it('gives the route the inspection store and the origins, and no camera upload store', () => {
    // Act
    const dependencies = createGetInspectionImageDependencies(
      readGetInspectionImageConfig({ IMAGE_BUCKET: 'waferwatch-images', ALLOWED_ORIGINS: 'https://site.example' }),
    );

    // Assess
    expect(dependencies.store).toBeDefined();
    expect(dependencies).not.toHaveProperty('uploads');
    expect(dependencies.allowedOrigins).toEqual(['https://site.example']);
  });
});
