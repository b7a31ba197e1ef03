import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../../functions/config/environment';
import { cameraImageLimitsConfig, cameraUploadGrantConfig, imageLimitsConfig } from '../../../functions/config/image-limits';

describe('the image limits', () => {
  it('give the API 4 MiB and the camera path 20 MiB, the same sides to both, and a 5-minute upload grant', () => {
    // Act + Assess
    expect(parseEnvironment([imageLimitsConfig], {})).toEqual({ MAX_IMAGE_BYTES: 4 * 1024 * 1024, MIN_IMAGE_SIDE: 64, MAX_IMAGE_SIDE: 4096 });
    expect(parseEnvironment([cameraImageLimitsConfig], {})).toEqual({ CAMERA_MAX_IMAGE_BYTES: 20 * 1024 * 1024, MIN_IMAGE_SIDE: 64, MAX_IMAGE_SIDE: 4096 });
    expect(parseEnvironment([cameraUploadGrantConfig], {})).toEqual({ CAMERA_MAX_IMAGE_BYTES: 20 * 1024 * 1024, UPLOAD_URL_EXPIRY_SECONDS: 300 });
  });

  it('refuses numbers that are not positive whole numbers, or an expiry outside 10 s to an hour, by name', () => {
    // Act + Assess
    expect(() => parseEnvironment([imageLimitsConfig], { MAX_IMAGE_BYTES: 'lots' })).toThrow(/MAX_IMAGE_BYTES/);
    expect(() => parseEnvironment([cameraImageLimitsConfig], { MIN_IMAGE_SIDE: '0' })).toThrow(/MIN_IMAGE_SIDE/);
    expect(() => parseEnvironment([cameraUploadGrantConfig], { UPLOAD_URL_EXPIRY_SECONDS: '3601' })).toThrow(/UPLOAD_URL_EXPIRY_SECONDS/);
  });
});
