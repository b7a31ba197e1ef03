import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadEmbeddedDetector, readEmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { CorruptImageError } from '../../../../functions/core/errors';
import { readFileSync } from 'node:fs';
import { DEFAULT_MODEL, sample, validated } from './helpers';

describe('EmbeddedDetector', () => {
  it('gives bit-for-bit the same result for the same image and model, across separately loaded detectors', async () => {
    // Prepare
    const modelBytes = readFileSync(DEFAULT_MODEL);
    const bytes = sample('anomalous', 'particle.jpg');

    // Act
    const first = await loadEmbeddedDetector(modelBytes).detectBytes(bytes);
    const second = await loadEmbeddedDetector(modelBytes).detectBytes(bytes);

    // Assess
    expect(second).toEqual(first);
    expect(Buffer.from(second.AnomalyMask!).equals(Buffer.from(first.AnomalyMask!))).toBe(true);
    expect(Object.is(second.AnomalyScore, first.AnomalyScore)).toBe(true);
  });

  // Upscaling a 512 px sample and letting the detector shrink it again blurs it (the fine scratch
  // lines fade most), so this size check uses a coarser defect; real full-size photos are covered by eval:detector.
  it('handles a full-size 1732x1750 photo and keeps its verdict', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const full = await sharp(sample('anomalous', 'cristals.jpg')).resize(1732, 1750, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
    const fullNormal = await sharp(sample('good', 'wafer.jpg')).resize(1732, 1750, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();

    // Act
    const anomalous = await detector.detect(await validated(full));
    const normal = await detector.detect(await validated(fullNormal));

    // Assess
    expect(anomalous.IsAnomalous).toBe(true);
    expect(normal.IsAnomalous).toBe(false);
    const mask = await sharp(anomalous.AnomalyMask).metadata();
    expect([mask.width, mask.height]).toEqual([1732, 1750]);
  });

  it.each([
    ['64x64 grey PNG', 64, 64, 1, 'png'],
    ['4096x64 RGBA PNG', 4096, 64, 4, 'png'],
    ['64x4096 grey+alpha PNG', 64, 4096, 2, 'png'],
    ['300x200 grey JPEG', 300, 200, 1, 'jpeg'],
  ] as const)('answers for a %s with a mask of the same size', async (_label, width, height, channels, format) => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const pixels = Buffer.alloc(width * height * channels);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) % 251;
    const image = sharp(pixels, { raw: { width, height, channels } });
    const bytes = format === 'png' ? await image.png().toBuffer() : await image.jpeg().toBuffer();

    // Act
    const result = await detector.detect(await validated(bytes));

    // Assess
    const mask = await sharp(result.AnomalyMask).metadata();
    expect([mask.width, mask.height]).toEqual([width, height]);
    expect(result.Confidence).toBeGreaterThanOrEqual(0);
    expect(result.Confidence).toBeLessThanOrEqual(1);
    expect(Number.isFinite(result.AnomalyScore)).toBe(true);
  });

  it('turns undecodable bytes into a CorruptImageError', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const truncated = sample('good', 'wafer.jpg').subarray(0, 2000);

    // Act
    const detection = detector.detectBytes(truncated);

    // Assess
    await expect(detection).rejects.toBeInstanceOf(CorruptImageError);
  });

  it('prepares (decodes) once and detects from what it prepared, with the same result as from the bytes', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const image = await validated(sample('anomalous', 'particle.jpg'));

    // Act
    const prepared = await detector.prepare(image);
    const fromPrepared = await detector.detect(image, prepared);

    // Assess
    expect(fromPrepared).toEqual(await detector.detectBytes(image.bytes));
    expect([prepared.sourceWidth, prepared.sourceHeight]).toEqual([image.width, image.height]);
  });

  it('rejects a JPEG whose scan was cut short even though it still ends with an end-of-image marker', async () => {
    // Prepare: libjpeg only warns about this and fills the rest grey; the pipeline relies on prepare() to refuse it.
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const bytes = sample('good', 'wafer.jpg');
    const scanStart = bytes.indexOf(Buffer.from([0xff, 0xda]));
    const cut = Buffer.concat([bytes.subarray(0, scanStart + Math.floor((bytes.length - scanStart) / 2)), Buffer.from([0xff, 0xd9])]);

    // Act
    const preparing = detector.prepare({ ...(await validated(bytes)), bytes: cut });

    // Assess
    await expect(preparing).rejects.toBeInstanceOf(CorruptImageError);
  });
});
