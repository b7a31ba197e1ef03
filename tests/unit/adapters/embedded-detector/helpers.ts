import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { seededRandom } from '../../../../detector/evaluation';
import type { ValidatedWaferImage } from '../../../../functions/core/wafer-image';
import { createHash } from 'node:crypto';

/** The repository's shipped sample photos (never the shared data folder: a fresh clone has only these). */
export const SAMPLES = join(__dirname, '../../../../samples/wafer-photos');
export const DEFAULT_MODEL = join(__dirname, '../../../../models/wafer-default.wwm');

/** Names of the shipped samples in one folder (good or anomalous). */
export function sampleNames(folder: 'good' | 'anomalous'): string[] {
  return readdirSync(join(SAMPLES, folder))
    .filter((n) => n.endsWith('.jpg'))
    .sort();
}

/** Bytes of one shipped sample. */
export function sample(folder: 'good' | 'anomalous', name: string): Buffer {
  return readFileSync(join(SAMPLES, folder, name));
}

/** A validated wafer image as the core hands it to a detector. */
export async function validated(bytes: Buffer): Promise<ValidatedWaferImage> {
  const meta = await sharp(bytes).metadata();
  const format = meta.format === 'png' ? 'png' : 'jpeg';
  return {
    bytes,
    format,
    contentType: format === 'png' ? 'image/png' : 'image/jpeg',
    width: meta.width,
    height: meta.height,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Seeded random descriptors, so tests are reproducible. */
export function randomRows(rows: number, dims: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: rows * dims }, () => random() * 4 - 2);
}

/** Rotate image bytes about the centre on a same-size canvas (a wafer photographed at another angle). */
export async function rotatedBytes(bytes: Buffer, degrees: number): Promise<Buffer> {
  const meta = await sharp(bytes).metadata();
  const rotated = await sharp(bytes).rotate(degrees, { background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
  return sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: rotated.info.channels } })
    .extract({
      left: Math.floor((rotated.info.width - meta.width) / 2),
      top: Math.floor((rotated.info.height - meta.height) / 2),
      width: meta.width,
      height: meta.height,
    })
    .jpeg({ quality: 92 })
    .toBuffer();
}
