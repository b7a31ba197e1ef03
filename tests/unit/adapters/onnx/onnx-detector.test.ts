import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { anomalyProbability, loadOnnxDetector, OnnxModelError, type OnnxDetector, type OnnxDetectorOptions } from '../../../../functions/adapters/onnx';
import { toPlanarTensor } from '../../../../functions/adapters/onnx/onnx-input';
import { CorruptImageError } from '../../../../functions/core/errors';
import { makeTestWaferImage } from '../../../helpers/test-wafer-images';
import { anomalibLikeModel } from './anomalib-like-model';

const OPTIONS: OnnxDetectorOptions = { threshold: 0.5, normalization: 'none', modelName: 'anomalib-like.onnx' };
const opened: OnnxDetector[] = [];

async function load(bytes: Uint8Array, options: Partial<OnnxDetectorOptions> = {}): Promise<OnnxDetector> {
  const detector = await loadOnnxDetector(bytes, { ...OPTIONS, ...options });
  opened.push(detector);
  return detector;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((detector) => detector.release()));
});

/** A mask's size and its red (anomalous) pixels. */
async function maskPixels(png: Uint8Array | undefined): Promise<{ width: number; height: number; red: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let p = 0; p < info.width * info.height; p++) if (data[p * info.channels] === 255) red++;
  return { width: info.width, height: info.height, red };
}

describe('OnnxDetector', () => {
  it('passes a plain wafer, confident, with an empty mask as large as the image', async () => {
    // Prepare
    const detector = await load(anomalibLikeModel());
    const image = await makeTestWaferImage({ width: 320, height: 240 });

    // Act
    const result = await detector.detect(image, await detector.prepare(image));

    // Assess
    expect(result.IsAnomalous).toBe(false);
    expect(result.Confidence).toBeGreaterThan(0.99);
    expect(result.AnomalyScore).toBeLessThan(0.01);
    expect(result.Anomalies).toEqual([{ Name: 'background', PixelAnomaly: { TotalPercentageArea: 100, Color: '#000000' } }]);
    expect(await maskPixels(result.AnomalyMask)).toEqual({ width: 320, height: 240, red: 0 });
  });

  it('flags a wafer with a red mark and paints about the mark in the mask, at the image size', async () => {
    // Prepare: an 80 px mark in a 320x240 image is 1/12 of its pixels.
    const detector = await load(anomalibLikeModel());
    const image = await makeTestWaferImage({ width: 320, height: 240, format: 'jpeg', redMarkSide: 80 });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.IsAnomalous).toBe(true);
    expect(result.Confidence).toBeGreaterThan(0.99);
    const mask = await maskPixels(result.AnomalyMask);
    expect([mask.width, mask.height]).toEqual([320, 240]);
    expect(mask.red / (320 * 240)).toBeGreaterThan(0.07);
    expect(mask.red / (320 * 240)).toBeLessThan(0.1);
    const anomaly = result.Anomalies.find((entry) => entry.Name === 'anomaly');
    expect(anomaly?.PixelAnomaly?.TotalPercentageArea).toBeCloseTo((100 * mask.red) / (320 * 240), 6);
    expect(anomaly?.PixelAnomaly?.Color).toBe('#FF0000');
  });

  it('names the model by its file name and the first 12 hex digits of its sha256', async () => {
    // Prepare
    const bytes = anomalibLikeModel();
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    // Act
    const detector = await load(bytes, { modelName: 'patchcore-wafer.onnx' });
    const result = await detector.detect(await makeTestWaferImage());

    // Assess
    expect(detector.modelVersion).toBe(`patchcore-wafer.onnx@${sha256.slice(0, 12)}`);
    expect(result.Detector).toEqual({ name: 'onnx', modelVersion: detector.modelVersion });
  });

  it('reads the input size from a fixed input shape, and needs ONNX_INPUT_SIZE for an open one', async () => {
    // Act
    const fixed = await load(anomalibLikeModel({ inputSize: 48 }));
    const open = await load(anomalibLikeModel({ inputSize: 'dynamic' }), { inputSize: { width: 96, height: 64 } });

    // Assess
    expect(fixed.signature.inputSize).toEqual({ width: 48, height: 48 });
    expect(open.signature.inputSize).toEqual({ width: 96, height: 64 });
    expect((await open.detect(await makeTestWaferImage({ redMarkSide: 30 }))).IsAnomalous).toBe(true);
    await expect(load(anomalibLikeModel({ inputSize: 'dynamic' }))).rejects.toThrow(/input size is not fixed.*ONNX_INPUT_SIZE/);
    await expect(load(anomalibLikeModel({ inputSize: 48 }), { inputSize: { width: 64, height: 64 } })).rejects.toThrow(
      /ONNX_INPUT_SIZE is 64x64, but the ONNX model anomalib-like.onnx's input is fixed at 48x48/,
    );
  });

  it('paints from anomaly_map when the model gives no pred_mask or pred_label', async () => {
    // Prepare
    const detector = await load(anomalibLikeModel({ outputs: { pred_label: false, pred_mask: false } }));
    const image = await makeTestWaferImage({ width: 200, height: 200, redMarkSide: 50 });

    // Act
    const result = await detector.detect(image);

    // Assess: 50x50 of 200x200 is 6.25 %.
    expect(detector.signature).not.toHaveProperty('predMask');
    expect(result.IsAnomalous).toBe(true);
    const share = (await maskPixels(result.AnomalyMask)).red / 40_000;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.075);
  });

  it('applies ONNX_THRESHOLD to pred_score and keeps "anomalous" meaning more likely than not', async () => {
    // Prepare: a faint mark, whose score sits between the two thresholds.
    const faint = anomalibLikeModel({ steepness: 4 });
    const image = await makeTestWaferImage({ redMarkSide: 20 });
    const lenient = await load(faint);
    const strict = await load(faint, { threshold: 0.95 });

    // Act
    const atDefault = await lenient.detect(image);
    const atStrict = await strict.detect(image);

    // Assess
    expect(atDefault.AnomalyScore).toBeGreaterThan(0.5);
    expect(atDefault.AnomalyScore).toBeLessThan(0.95);
    expect(atDefault.IsAnomalous).toBe(true);
    expect(atStrict.IsAnomalous).toBe(false);
    expect(atStrict.Confidence).toBeGreaterThan(0.5);
    expect(await maskPixels(atStrict.AnomalyMask)).toMatchObject({ red: 0 });
  });

  it('feeds anomalib sensitivity inputs when the model declares them', async () => {
    // Act
    const detector = await load(anomalibLikeModel({ extraInput: 'image_sensitivity' }));

    // Assess
    expect(detector.signature.sensitivityInputs).toEqual([{ name: 'image_sensitivity', dims: [1] }]);
    expect((await detector.detect(await makeTestWaferImage({ redMarkSide: 30 }))).IsAnomalous).toBe(true);
  });

  it('refuses corrupt image data with CorruptImageError', async () => {
    // Prepare
    const detector = await load(anomalibLikeModel());
    const image = await makeTestWaferImage({ format: 'jpeg', width: 200, height: 200 });
    const truncated = { ...image, bytes: image.bytes.subarray(0, Math.floor(image.bytes.length / 2)) };

    // Act + Assess
    await expect(detector.prepare(truncated)).rejects.toBeInstanceOf(CorruptImageError);
  });
});

describe('loadOnnxDetector refuses a model it cannot run', () => {
  it('without pred_score or anomaly_map, saying what the model has', async () => {
    // Act + Assess
    await expect(load(anomalibLikeModel({ outputs: { pred_score: 'output' } }))).rejects.toThrow(
      /no "pred_score" output \(its outputs: output, anomaly_map, pred_label, pred_mask\)/,
    );
    await expect(load(anomalibLikeModel({ outputs: { anomaly_map: false, pred_mask: false } }))).rejects.toThrow(/no "anomaly_map" output/);
  });

  it('with an input it cannot feed or an image input of the wrong name', async () => {
    // Act + Assess
    await expect(load(anomalibLikeModel({ extraInput: 'prompt' }))).rejects.toThrow(/inputs the detector cannot give: prompt/);
    await expect(load(anomalibLikeModel({ inputName: 'images', extraInput: 'image_sensitivity' }))).rejects.toThrow(/no image input named "input"/);
  });

  it('whose bytes do not match the expected sha256', async () => {
    // Prepare
    const bytes = anomalibLikeModel();
    const other = createHash('sha256').update('another model').digest('hex');

    // Act + Assess
    const refused = load(bytes, { expectedSha256: other });
    await expect(refused).rejects.toBeInstanceOf(OnnxModelError);
    await expect(refused).rejects.toThrow(new RegExp(`not the expected ${other} \\(ONNX_MODEL_SHA256\\)`));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await expect(load(bytes, { expectedSha256: sha256.toUpperCase() })).resolves.toBeDefined();
  });

  it('that is not an ONNX model at all', async () => {
    // Act + Assess
    await expect(load(new TextEncoder().encode('not a model'))).rejects.toThrow(/cannot be loaded by onnxruntime/);
  });
});

describe('anomalyProbability', () => {
  it('is pred_score itself at anomalib threshold 0.5, and 0.5 at any other threshold', () => {
    // Act + Assess
    for (const score of [0, 0.2, 0.5, 0.8, 1]) expect(anomalyProbability(score, 0.5)).toBeCloseTo(score, 12);
    expect(anomalyProbability(0.8, 0.8)).toBe(0.5);
    expect(anomalyProbability(0.4, 0.8)).toBeCloseTo(0.25, 12);
    expect(anomalyProbability(0.9, 0.8)).toBeCloseTo(0.75, 12);
    expect(anomalyProbability(1, 1)).toBe(1);
  });
});

describe('toPlanarTensor', () => {
  it('scales RGB to [0, 1], planar, and standardises with ImageNet statistics when asked', () => {
    // Prepare: two pixels, white and black.
    const pixels = new Uint8Array([255, 255, 255, 0, 0, 0]);

    // Act
    const plain = toPlanarTensor(pixels, 2, 3, 'none');
    const imagenet = toPlanarTensor(pixels, 2, 3, 'imagenet');

    // Assess
    expect(Array.from(plain)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(imagenet[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(imagenet[1]).toBeCloseTo(-0.485 / 0.229, 5);
    expect(imagenet[5]).toBeCloseTo(-0.406 / 0.225, 5);
  });
});
