import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { DEFAULT_FEATURE_SETTINGS, descriptorLength, extractPatchFeatures } from '../../../../functions/adapters/embedded-detector/patch-features';
import { decodeWorkingImage } from '../../../../functions/adapters/embedded-detector/working-image';
import { DEFAULT_MODEL, rotatedBytes, sample } from './helpers';

function sortedRows(values: Float32Array, dims: number): number[][] {
  const rows: number[][] = [];
  for (let o = 0; o < values.length; o += dims) rows.push(Array.from(values.subarray(o, o + dims), (v) => Math.round(v * 1000) / 1000));
  return rows.sort((a, b) => a.join(',').localeCompare(b.join(',')));
}

describe('extractPatchFeatures', () => {
  it('describes one patch per cell step, with 11 statistics per scale', async () => {
    // Prepare
    const image = await decodeWorkingImage(sample('good', 'wafer.jpg'), 512);

    // Act
    const features = extractPatchFeatures(image, DEFAULT_FEATURE_SETTINGS);

    // Assess
    expect(features.dims).toBe(descriptorLength(DEFAULT_FEATURE_SETTINGS));
    expect(features.dims).toBe(22);
    expect(features.gridWidth).toBe(Math.floor(image.width / 8) - 1);
    expect(features.gridHeight).toBe(Math.floor(image.height / 8) - 1);
    expect(features.values.length).toBe(features.gridWidth * features.gridHeight * 22);
    expect(features.values.every(Number.isFinite)).toBe(true);
  });

  it('gives the same set of descriptors for a quarter turn of the image (square windows map onto themselves)', async () => {
    // Prepare
    const square = await sharp(sample('good', 'wafer.jpg')).resize(256, 256, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    const turned = await sharp(square.data, { raw: { width: 256, height: 256, channels: 3 } })
      .rotate(90)
      .raw()
      .toBuffer();

    // Act
    const original = extractPatchFeatures({ width: 256, height: 256, rgb: square.data }, DEFAULT_FEATURE_SETTINGS);
    const rotated = extractPatchFeatures({ width: 256, height: 256, rgb: turned }, DEFAULT_FEATURE_SETTINGS);

    // Assess
    expect(sortedRows(rotated.values, 22)).toEqual(sortedRows(original.values, 22));
  });

  it('tells a uniform patch from a patch with a dark speck through min brightness and min local contrast', () => {
    // Prepare
    const rgb = new Uint8Array(32 * 32 * 3).fill(128);
    const speck = Uint8Array.from(rgb);
    for (const [x, y] of [
      [4, 4],
      [5, 4],
      [4, 5],
      [5, 5],
    ] as const)
      speck.fill(10, (y * 32 + x) * 3, (y * 32 + x) * 3 + 3);

    const { lightnessReference: _unnormalised, ...raw } = DEFAULT_FEATURE_SETTINGS;

    // Act
    const plain = extractPatchFeatures({ width: 32, height: 32, rgb }, raw);
    const spotted = extractPatchFeatures({ width: 32, height: 32, rgb: speck }, raw);

    // Assess
    expect(plain.values[10]).toBe(128);
    expect(spotted.values[10]).toBe(10);
    expect(plain.values[8]).toBeCloseTo(0, 5);
    expect(spotted.values[8]).toBeLessThan(-50);
  });

  it('gives the same descriptors for a photo taken with more or less light (pixel values times a gain)', async () => {
    // Prepare
    const { data, info } = await sharp(sample('good', 'wafer.jpg')).raw().toBuffer({ resolveWithObject: true });
    const gained = (gain: number) => Uint8Array.from(data, (v) => Math.min(255, Math.round(v * gain)));

    // Act
    const [plain, darker, brighter] = [1, 0.85, 1.15].map((gain) =>
      extractPatchFeatures({ width: info.width, height: info.height, rgb: gained(gain) }, DEFAULT_FEATURE_SETTINGS),
    );

    // Assess
    const meanAbsoluteDifference = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;
    const meanAbsolute = plain!.values.reduce((sum, v) => sum + Math.abs(v), 0) / plain!.values.length;
    expect(meanAbsoluteDifference(darker!.values, plain!.values)).toBeLessThan(0.03 * meanAbsolute);
    expect(meanAbsoluteDifference(brighter!.values, plain!.values)).toBeLessThan(0.03 * meanAbsolute);
  });

  it('changes a normal wafer score little when the wafer is turned to angles the model never saw', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const bytes = sample('good', 'wafer.jpg');
    const anomalyScore = (await detector.detectBytes(sample('anomalous', 'particle.jpg'))).AnomalyScore!;

    // Act
    const upright = (await detector.detectBytes(bytes)).AnomalyScore!;
    const turned = await Promise.all([37, 143, 200].map(async (angle) => (await detector.detectBytes(await rotatedBytes(bytes, angle))).AnomalyScore!));

    // Assess
    for (const score of turned) {
      expect(Math.abs(score - upright)).toBeLessThan(0.25 * (anomalyScore - upright));
      expect(score).toBeLessThan(detector.model.threshold);
    }
  });
});
