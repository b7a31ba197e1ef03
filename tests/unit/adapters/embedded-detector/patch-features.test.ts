import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import {
  DEFAULT_FEATURE_SETTINGS,
  descriptorLength,
  extractPatchFeatures,
  litMedianBrightness,
  type FeatureSettings,
} from '../../../../functions/adapters/embedded-detector/patch-features';
import type { WorkingImage } from '../../../../functions/adapters/embedded-detector/working-image';
import { seededRandom } from '../../../../detector/evaluation';
import { decodeWorkingImage } from '../../../../functions/adapters/embedded-detector/working-image';
import { DEFAULT_MODEL, rotatedBytes, sample } from './helpers';

function sortedRows(values: Float32Array, dims: number): number[][] {
  const rows: number[][] = [];
  for (let o = 0; o < values.length; o += dims) rows.push(Array.from(values.subarray(o, o + dims), (v) => Math.round(v * 1000) / 1000));
  return rows.sort((a, b) => a.join(',').localeCompare(b.join(',')));
}

/**
 * The descriptors computed the plain way, pixel by pixel per cell, with an integral image for the box means and the
 * normalisation gain applied to the stored values afterwards: what the models were trained with. The extractor must
 * give these bit for bit.
 */
function referenceFeatures(image: WorkingImage, settings: FeatureSettings): Float32Array {
  const { width, height, rgb } = image;
  const { cellSize: cell, scales, contrastRadius: radius } = settings;
  const cellsX = Math.floor(width / cell);
  const cellsY = Math.floor(height / cell);
  const lum = new Float32Array(width * height);
  for (let p = 0; p < width * height; p++) lum[p] = (rgb[3 * p]! + rgb[3 * p + 1]! + rgb[3 * p + 2]!) / 3;
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += lum[y * width + x]!;
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1]! + rowSum;
    }
  }
  const cells: number[][] = [];
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
      const stats = [0, 0, 0, 0, 0, 0, 0, 0, Infinity, -Infinity, Infinity];
      for (let y = cy * cell; y < (cy + 1) * cell; y++) {
        for (let x = cx * cell; x < (cx + 1) * cell; x++) {
          const p = y * width + x;
          const [r, g, b] = [rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!];
          const l = lum[p]!;
          const dx = lum[y * width + Math.min(width - 1, x + 1)]! - lum[y * width + Math.max(0, x - 1)]!;
          const dy = lum[Math.min(height - 1, y + 1) * width + x]! - lum[Math.max(0, y - 1) * width + x]!;
          const grad = Math.sqrt(dx * dx + dy * dy);
          const [top, bottom] = [Math.max(0, y - radius), Math.min(height - 1, y + radius) + 1];
          const [left, right] = [Math.max(0, x - radius), Math.min(width - 1, x + radius) + 1];
          const box = integral[bottom * stride + right]! - integral[top * stride + right]! - integral[bottom * stride + left]! + integral[top * stride + left]!;
          const c = l - box / ((bottom - top) * (right - left));
          const values = [l, r - g, (r + g) * 0.5 - b, grad];
          values.forEach((v, s) => {
            stats[2 * s]! += v;
            stats[2 * s + 1]! += v * v;
          });
          stats[8] = Math.min(stats[8]!, c);
          stats[9] = Math.max(stats[9]!, c);
          stats[10] = Math.min(stats[10]!, l);
        }
      }
      cells.push(stats);
    }
  }
  const smallest = Math.min(...scales);
  const gridWidth = Math.max(1, cellsX - smallest + 1);
  const gridHeight = Math.max(1, cellsY - smallest + 1);
  const dims = descriptorLength(settings);
  const out = new Float32Array(gridWidth * gridHeight * dims);
  scales.forEach((scale, scaleIndex) => {
    const before = Math.floor((scale - smallest) / 2);
    for (let gy = 0; gy < gridHeight; gy++) {
      for (let gx = 0; gx < gridWidth; gx++) {
        const sums = [0, 0, 0, 0, 0, 0, 0, 0, Infinity, -Infinity, Infinity];
        const [y0, y1] = [Math.max(0, gy - before), Math.min(cellsY, gy - before + scale)];
        const [x0, x1] = [Math.max(0, gx - before), Math.min(cellsX, gx - before + scale)];
        for (let cy = y0; cy < y1; cy++) {
          for (let cx = x0; cx < x1; cx++) {
            const stats = cells[cy * cellsX + cx]!;
            for (let s = 0; s < 8; s++) sums[s]! += stats[s]!;
            sums[8] = Math.min(sums[8]!, stats[8]!);
            sums[9] = Math.max(sums[9]!, stats[9]!);
            sums[10] = Math.min(sums[10]!, stats[10]!);
          }
        }
        const count = (y1 - y0) * (x1 - x0) * cell * cell;
        const o = (gy * gridWidth + gx) * dims + scaleIndex * 11;
        for (let s = 0; s < 4; s++) {
          const mean = sums[2 * s]! / count;
          out[o + 2 * s] = mean;
          out[o + 2 * s + 1] = Math.sqrt(Math.max(0, sums[2 * s + 1]! / count - mean * mean));
        }
        [8, 9, 10].forEach((s) => (out[o + s] = sums[s]!));
      }
    }
  });
  if (settings.lightnessReference !== undefined) {
    const gain = settings.lightnessReference / Math.max(1, litMedianBrightness(image));
    for (let i = 0; i < out.length; i++) out[i]! *= gain;
  }
  return out;
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

  it('gives bit for bit the descriptors of the plain per-pixel computation the models were trained with', async () => {
    // Prepare: a shipped wafer, and random images of odd sizes with other cells, scales and contrast radii.
    const wafer = await decodeWorkingImage(sample('anomalous', 'scratch.jpg'), 512);
    const random = seededRandom(5);
    const noise = (width: number, height: number, levels: number): WorkingImage => ({
      width,
      height,
      rgb: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * levels) * Math.floor(255 / (levels - 1))),
    });
    const saturated = (width: number, height: number, pixel: [number, number, number]): WorkingImage => ({
      width,
      height,
      rgb: Uint8Array.from({ length: width * height * 3 }, (_, i) => pixel[i % 3]!),
    });
    const cases: [WorkingImage, FeatureSettings][] = [
      [wafer, DEFAULT_FEATURE_SETTINGS],
      [noise(77, 61, 256), DEFAULT_FEATURE_SETTINGS],
      [noise(45, 90, 2), { ...DEFAULT_FEATURE_SETTINGS, cellSize: 4, scales: [1, 3], contrastRadius: 0 }],
      [noise(33, 29, 4), { workingSide: 512, cellSize: 3, scales: [2, 5], contrastRadius: 4 }],
      [noise(9, 130, 256), { workingSide: 512, cellSize: 8, scales: [2, 4], contrastRadius: 1, lightnessReference: 80 }],
      // Narrower than two contrast boxes: every column is near an edge.
      [noise(7, 40, 256), { workingSide: 512, cellSize: 2, scales: [1, 2], contrastRadius: 4 }],
      // As wide as its cells, without a box: the last column has no right-hand neighbour.
      [noise(24, 16, 256), { workingSide: 512, cellSize: 4, scales: [1, 2], contrastRadius: 0 }],
      // Cells of 4 pixels and then some: whole groups of 4 and single pixels after them.
      [noise(61, 47, 256), { workingSide: 512, cellSize: 6, scales: [1, 3], contrastRadius: 3 }],
      // The largest cells, all the most saturated yellow (R+G−2B = 510): the integer sums at their bound.
      [saturated(256, 130, [255, 255, 0]), { workingSide: 512, cellSize: 128, scales: [1, 2], contrastRadius: 2 }],
      // Larger than every image before: the kernel's memory grows and its contents from the earlier images do not leak in.
      [noise(600, 560, 256), DEFAULT_FEATURE_SETTINGS],
    ];

    for (const [image, settings] of cases) {
      // Act
      const features = extractPatchFeatures(image, settings);

      // Assess
      expect(Buffer.from(features.values.buffer).equals(Buffer.from(referenceFeatures(image, settings).buffer))).toBe(true);
    }
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

  it('refuses settings the statistics are not defined for rather than compute other numbers', () => {
    // Prepare
    const image: WorkingImage = { width: 300, height: 300, rgb: new Uint8Array(300 * 300 * 3) };

    // Act & assess: cells wider than 128 px or of a fraction of a pixel, a contrast radius beyond 255 px or fractional.
    for (const change of [{ cellSize: 129 }, { cellSize: 7.5 }, { contrastRadius: 256 }, { contrastRadius: 0.5 }]) {
      expect(() => extractPatchFeatures(image, { ...DEFAULT_FEATURE_SETTINGS, ...change })).toThrow(/whole pixels up to 128 .* up to 255/);
    }
    expect(extractPatchFeatures(image, { ...DEFAULT_FEATURE_SETTINGS, cellSize: 128, contrastRadius: 255 }).values.every(Number.isFinite)).toBe(true);
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
