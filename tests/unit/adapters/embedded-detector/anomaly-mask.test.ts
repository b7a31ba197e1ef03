import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ANOMALY_COLOR, BACKGROUND_COLOR, renderAnomalyMask } from '../../../../functions/adapters/embedded-detector/anomaly-mask';
import { readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { DEFAULT_MODEL, sample } from './helpers';

/** Decode a mask and count its red pixels; every other pixel must be black. */
async function redPixels(png: Uint8Array): Promise<{ width: number; height: number; red: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let red = 0;
  let other = 0;
  for (let p = 0; p < info.width * info.height; p++) {
    const r = data[p * info.channels]!;
    const g = data[p * info.channels + 1]!;
    const b = data[p * info.channels + 2]!;
    if (r === 255 && g === 0 && b === 0) red++;
    else if (r !== 0 || g !== 0 || b !== 0) other++;
  }
  expect(other).toBe(0);
  return { width: info.width, height: info.height, red };
}

describe('renderAnomalyMask', () => {
  it('paints flagged patches at the source size and counts exactly the painted pixels', async () => {
    // Prepare: a 4x4 patch grid (16 px patches, stride 8) on a 40x40 working image; one patch flagged.
    const flags = new Uint8Array(16);
    flags[5] = 1;
    const grid = { flags, gridWidth: 4, gridHeight: 4, patchSize: 16, stride: 8, workingWidth: 40, workingHeight: 40 };

    // Act
    const mask = renderAnomalyMask(grid, 100, 80);

    // Assess: patch (1,1) covers working pixels 8..23, i.e. 40 % of 100 px wide and 40 % of 80 px high.
    const decoded = await redPixels(mask.png);
    expect([decoded.width, decoded.height]).toEqual([100, 80]);
    expect(decoded.red).toBe(mask.anomalousPixels);
    expect(mask.anomalousPixels).toBe(40 * 32);
    expect(mask.totalPixels).toBe(8000);
  });

  it('is all background when nothing is flagged', async () => {
    // Prepare
    const grid = { flags: new Uint8Array(9), gridWidth: 3, gridHeight: 3, patchSize: 16, stride: 8, workingWidth: 32, workingHeight: 32 };

    // Act
    const mask = renderAnomalyMask(grid, 64, 64);

    // Assess
    expect(mask.anomalousPixels).toBe(0);
    expect((await redPixels(mask.png)).red).toBe(0);
  });
});

describe('the detection mask of an anomalous wafer', () => {
  it('has the input size and Lookout-style labels whose areas match the painted pixels and sum to 100 %', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const bytes = sample('anomalous', 'scratch.jpg');
    const meta = await sharp(bytes).metadata();

    // Act
    const result = await detector.detectBytes(bytes);

    // Assess
    const decoded = await redPixels(result.AnomalyMask!);
    expect([decoded.width, decoded.height]).toEqual([meta.width, meta.height]);
    const background = result.Anomalies.find((a) => a.Name === 'background')!;
    const anomaly = result.Anomalies.find((a) => a.Name === 'anomaly')!;
    expect(background.PixelAnomaly!.Color).toBe(BACKGROUND_COLOR);
    expect(anomaly.PixelAnomaly!.Color).toBe(ANOMALY_COLOR);
    expect(anomaly.PixelAnomaly!.TotalPercentageArea).toBeCloseTo((100 * decoded.red) / (decoded.width * decoded.height), 10);
    expect(anomaly.PixelAnomaly!.TotalPercentageArea + background.PixelAnomaly!.TotalPercentageArea).toBeCloseTo(100, 10);
    expect(anomaly.PixelAnomaly!.TotalPercentageArea).toBeGreaterThan(0.5);
    expect(anomaly.PixelAnomaly!.TotalPercentageArea).toBeLessThan(60);
  });

  it('reports only background, covering 100 %, for a normal wafer', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);

    // Act
    const result = await detector.detectBytes(sample('good', 'wafer.jpg'));

    // Assess
    expect(result.Anomalies).toEqual([{ Name: 'background', PixelAnomaly: { TotalPercentageArea: 100, Color: BACKGROUND_COLOR } }]);
    expect((await redPixels(result.AnomalyMask!)).red).toBe(0);
  });
});
