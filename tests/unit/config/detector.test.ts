import { describe, expect, it } from 'vitest';
import { detectorConfig } from '../../../functions/config/detector';
import { parseEnvironment } from '../../../functions/config/environment';

describe('detectorConfig', () => {
  it('is the embedded detector with the bundled model unless told otherwise', () => {
    // Act + Assess
    expect(parseEnvironment([detectorConfig], {})).toEqual({
      DETECTOR: 'embedded',
      EMBEDDED_MODEL_URI: 'models/wafer-default.wwm',
      ONNX_THRESHOLD: 0.5,
      ONNX_INPUT_NORMALIZATION: 'none',
    });
  });

  it('requires the Lookout project and version when that detector is chosen', () => {
    // Act + Assess
    expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'lookoutvision', LOOKOUT_PROJECT_NAME: 'wafers' })).toThrow(
      /LOOKOUT_MODEL_VERSION environment variable is not set \(required when DETECTOR=lookoutvision\)/,
    );
    expect(parseEnvironment([detectorConfig], { DETECTOR: 'lookoutvision', LOOKOUT_PROJECT_NAME: 'wafers', LOOKOUT_MODEL_VERSION: '3' }).DETECTOR).toBe(
      'lookoutvision',
    );
    expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'sagemaker' })).toThrow(/DETECTOR/);
  });
});
