import { describe, expect, it } from 'vitest';
import { createListInspectionsDependencies, readListInspectionsConfig } from '../../../functions/wiring/list-inspections';

describe('the list-inspections wiring', () => {
  it('needs only the bucket, and refuses a wildcard origin outside the local stage', () => {
    // Act
    const config = readListInspectionsConfig({ IMAGE_BUCKET: 'waferwatch-images' });

    // Assess
    expect(config).toEqual({ AWS_REGION: 'us-east-1', IMAGE_BUCKET: 'waferwatch-images', STAGE: 'local', ALLOWED_ORIGINS: [] });
    expect(() => readListInspectionsConfig({ IMAGE_BUCKET: 'waferwatch-images', STAGE: 'prod', ALLOWED_ORIGINS: '*' })).toThrow(/ALLOWED_ORIGINS/);
    expect(createListInspectionsDependencies(config).store).toBeDefined();
  });
});
