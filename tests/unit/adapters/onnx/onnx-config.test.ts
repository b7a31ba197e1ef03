import { describe, expect, it } from 'vitest';
import { detectorConfig } from '../../../../functions/config/detector';
import { parseEnvironment } from '../../../../functions/config/environment';

const SHA256 = 'A'.repeat(64);

describe('DETECTOR=onnx settings', () => {
  it('requires ONNX_MODEL_URI', () => {
    // Act + Assess
    expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'onnx' })).toThrow(
      /ONNX_MODEL_URI environment variable is not set \(required when DETECTOR=onnx\)/,
    );
  });

  it("defaults to anomalib's threshold 0.5, pixels in [0, 1] and the model's own input size", () => {
    // Act
    const config = parseEnvironment([detectorConfig], { DETECTOR: 'onnx', ONNX_MODEL_URI: 'models/patchcore.onnx' });

    // Assess
    expect(config).toMatchObject({ DETECTOR: 'onnx', ONNX_MODEL_URI: 'models/patchcore.onnx', ONNX_THRESHOLD: 0.5, ONNX_INPUT_NORMALIZATION: 'none' });
    expect(config.ONNX_INPUT_SIZE).toBeUndefined();
    expect(config.ONNX_MODEL_SHA256).toBeUndefined();
  });

  it('reads the sha256 (lower-cased), the threshold, a square or rectangular input size and the normalisation', () => {
    // Act
    const square = parseEnvironment([detectorConfig], {
      DETECTOR: 'onnx',
      ONNX_MODEL_URI: 's3://models-bucket/stations/a/patchcore.onnx',
      ONNX_MODEL_SHA256: SHA256,
      ONNX_THRESHOLD: '0.8',
      ONNX_INPUT_SIZE: '256',
      ONNX_INPUT_NORMALIZATION: 'imagenet',
    });
    const wide = parseEnvironment([detectorConfig], { DETECTOR: 'onnx', ONNX_MODEL_URI: 'm.onnx', ONNX_INPUT_SIZE: '320x256' });

    // Assess
    expect(square).toMatchObject({
      ONNX_MODEL_SHA256: 'a'.repeat(64),
      ONNX_THRESHOLD: 0.8,
      ONNX_INPUT_SIZE: { width: 256, height: 256 },
      ONNX_INPUT_NORMALIZATION: 'imagenet',
    });
    expect(wide.ONNX_INPUT_SIZE).toEqual({ width: 320, height: 256 });
  });

  it('refuses a malformed sha256, a threshold outside (0, 1], a malformed input size and an unknown normalisation', () => {
    // Act + Assess
    for (const env of [
      { ONNX_MODEL_SHA256: 'abc' },
      { ONNX_THRESHOLD: '0' },
      { ONNX_THRESHOLD: '1.5' },
      { ONNX_THRESHOLD: 'high' },
      { ONNX_INPUT_SIZE: '256x' },
      { ONNX_INPUT_SIZE: '0' },
      { ONNX_INPUT_NORMALIZATION: 'mean' },
    ]) {
      expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'onnx', ONNX_MODEL_URI: 'm.onnx', ...env }), JSON.stringify(env)).toThrow(/ONNX_/);
    }
  });

  it('does not ask the other detectors for ONNX settings', () => {
    // Act + Assess
    expect(parseEnvironment([detectorConfig], {}).DETECTOR).toBe('embedded');
  });
});
