import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../../functions/config/environment';
import { imageBucketConfig } from '../../../functions/config/image-bucket';
import { regionConfig } from '../../../functions/config/region';

describe('imageBucketConfig (with regionConfig)', () => {
  it('requires the bucket by name, reads the S3 emulator endpoint, and defaults the region', () => {
    // Act + Assess
    expect(() => parseEnvironment([regionConfig, imageBucketConfig], {})).toThrow(/IMAGE_BUCKET environment variable is not set/);
    expect(() => parseEnvironment([imageBucketConfig], { IMAGE_BUCKET: 'b', S3_ENDPOINT: 'not a url' })).toThrow(/IMAGE_BUCKET.*; S3_ENDPOINT: /);
    expect(parseEnvironment([regionConfig, imageBucketConfig], { IMAGE_BUCKET: 'waferwatch-images', AWS_REGION: 'eu-west-1' })).toEqual({
      AWS_REGION: 'eu-west-1',
      IMAGE_BUCKET: 'waferwatch-images',
    });
  });
});
