import { describe, expect, it } from 'vitest';
import { renderAnomalyMask } from '../../../../functions/adapters/embedded-detector/anomaly-mask';
import { readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { decodeWorkingImage } from '../../../../functions/adapters/embedded-detector/working-image';
import { DEFAULT_MODEL, sample, validated } from './helpers';

/** The PNG renderAnomalyMask wrote for every mask before blank masks were kept: painted row by row. */
function paintedBlankMask(width: number, height: number): Uint8Array {
  // A flagged patch of zero size takes the general (painting) path and paints nothing.
  const grid = { flags: Uint8Array.of(1), gridWidth: 1, gridHeight: 1, patchSize: 0, stride: 1, workingWidth: 8, workingHeight: 8 };
  const mask = renderAnomalyMask(grid, width, height);
  expect(mask.anomalousPixels).toBe(0);
  return mask.png;
}

describe('the shortcuts of the inspection path', () => {
  it('answers a normal wafer with the same blank mask bytes as painting it, each call its own copy', () => {
    // Prepare
    const grid = { flags: new Uint8Array(16), gridWidth: 4, gridHeight: 4, patchSize: 16, stride: 8, workingWidth: 40, workingHeight: 40 };

    // Act
    const first = renderAnomalyMask(grid, 1732, 1750);
    first.png.fill(0);
    const second = renderAnomalyMask(grid, 1732, 1750);

    // Assess
    expect(Buffer.from(second.png).equals(Buffer.from(paintedBlankMask(1732, 1750)))).toBe(true);
    expect([second.anomalousPixels, second.totalPixels]).toEqual([0, 1732 * 1750]);
  });

  it('decodes the same working pixels whether the source size is given (a validated image) or read from the bytes', async () => {
    // Prepare
    const bytes = sample('anomalous', '120_scratch.jpg');
    const image = await validated(bytes);

    // Act
    const read = await decodeWorkingImage(bytes, 512);
    const given = await decodeWorkingImage(bytes, 512, { width: image.width, height: image.height });

    // Assess
    expect([given.width, given.height, given.sourceWidth, given.sourceHeight]).toEqual([read.width, read.height, read.sourceWidth, read.sourceHeight]);
    expect(Buffer.from(given.rgb).equals(Buffer.from(read.rgb))).toBe(true);
  });

  it('gives the pipeline (prepare, then detect) the verdict, score and mask detectBytes gives', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const bytes = sample('anomalous', '120_scratch.jpg');
    const image = await validated(bytes);

    // Act
    const viaPipeline = await detector.detect(image, await detector.prepare(image));
    const viaBytes = await detector.detectBytes(bytes);

    // Assess
    expect(viaPipeline.IsAnomalous).toBe(true);
    expect(viaPipeline.AnomalyScore).toBe(viaBytes.AnomalyScore);
    expect(Buffer.from(viaPipeline.AnomalyMask!).equals(Buffer.from(viaBytes.AnomalyMask!))).toBe(true);
  });
});
