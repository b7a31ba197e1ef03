import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ANOMALY_COLOR, BACKGROUND_COLOR, renderAnomalyMask, type PatchGrid } from '../../../../functions/adapters/embedded-detector/anomaly-mask';
import { readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { seededRandom } from '../../../../detector/evaluation';
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

/** Whether each source pixel is painted, decided pixel by pixel: is its nearest working pixel inside a flagged patch? */
function paintedPixelByPixel(grid: PatchGrid, sourceWidth: number, sourceHeight: number): boolean[] {
  const nearest = (v: number, working: number, source: number) => Math.min(working - 1, Math.floor(((v + 0.5) * working) / source));
  return Array.from({ length: sourceWidth * sourceHeight }, (_, i) => {
    const wx = nearest(i % sourceWidth, grid.workingWidth, sourceWidth);
    const wy = nearest(Math.floor(i / sourceWidth), grid.workingHeight, sourceHeight);
    for (let gy = 0; gy < grid.gridHeight; gy++)
      for (let gx = 0; gx < grid.gridWidth; gx++)
        if (
          grid.flags[gy * grid.gridWidth + gx] &&
          wx >= gx * grid.stride &&
          wx < gx * grid.stride + grid.patchSize &&
          wy >= gy * grid.stride &&
          wy < gy * grid.stride + grid.patchSize
        )
          return true;
    return false;
  });
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

  it('paints exactly the pixels whose nearest working pixel is flagged, scaling down or up', async () => {
    // Prepare: random flags on a 6 x 5 grid of 12 px patches, stride 6, over a 41 x 35 working image.
    const random = seededRandom(8);
    const grid: PatchGrid = {
      flags: Uint8Array.from({ length: 30 }, () => (random() < 0.3 ? 1 : 0)),
      gridWidth: 6,
      gridHeight: 5,
      patchSize: 12,
      stride: 6,
      workingWidth: 41,
      workingHeight: 35,
    };

    for (const [width, height] of [
      [130, 97],
      [23, 30],
    ] as const) {
      // Act
      const mask = renderAnomalyMask(grid, width, height);

      // Assess
      const { data } = await sharp(mask.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const red = Array.from({ length: width * height }, (_, p) => data[p * 3] === 255);
      const expected = paintedPixelByPixel(grid, width, height);
      expect(red).toEqual(expected);
      expect(mask.anomalousPixels).toBe(expected.filter(Boolean).length);
    }
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
