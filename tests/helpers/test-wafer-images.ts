import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { ValidatedWaferImage } from '../../functions/core/wafer-image';

export interface TestWaferImageOptions {
  width?: number;
  height?: number;
  format?: 'png' | 'jpeg';
  /** Paint a pure red square of this side (px) in the middle: what the Lookout emulator's default rule calls a defect. */
  redMarkSide?: number;
  /** Grey level of the wafer (0–255). */
  grey?: number;
}

/**
 * A generated wafer image, already in the shape the validator hands the adapters
 * (bytes, format, content type, dimensions, size, sha256). Tests of adapters and the pipeline use it
 * instead of binary fixtures; it does not replace the validator's own tests.
 */
export async function makeTestWaferImage(options: TestWaferImageOptions = {}): Promise<ValidatedWaferImage> {
  const width = options.width ?? 128;
  const height = options.height ?? 96;
  const format = options.format ?? 'png';
  const grey = options.grey ?? 90;
  let image = sharp({ create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey + 10 } } });
  if (options.redMarkSide) {
    const side = options.redMarkSide;
    const mark = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .png()
      .toBuffer();
    image = image.composite([{ input: mark, left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2) }]);
  }
  // JPEG at top quality with no chroma subsampling keeps the red mark red enough for the emulator's rule.
  const bytes = format === 'png' ? await image.png().toBuffer() : await image.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
  return {
    bytes,
    format,
    contentType: format === 'png' ? 'image/png' : 'image/jpeg',
    width,
    height,
    sizeBytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}
