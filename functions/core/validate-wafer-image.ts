import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { CorruptImageError, ImageDimensionsOutOfRangeError, ImageTooLargeError, MalformedRequestError } from './errors';
import { readImageStructure } from './image-structure';
import type { ValidatedWaferImage } from './wafer-image';

/** What an accepted wafer image must satisfy. */
export interface WaferImageLimits {
  maxBytes: number;
  minSide: number;
  maxSide: number;
}

/**
 * Decide whether the bytes are an acceptable wafer image, by the bytes alone: size limit (413),
 * PNG or JPEG signature (415), sound structure (422), each side within limits (422, before any pixel
 * memory is allocated), and finally a real decode that fails on truncated or corrupt pixel data (422).
 */
export async function validateWaferImage(bytes: Uint8Array, limits: WaferImageLimits): Promise<ValidatedWaferImage> {
  const image = checkWaferImage(bytes, limits);
  await assertDecodable(image, limits.maxSide);
  return image;
}

/**
 * Every check of validateWaferImage except the pixel decode: size, signature, structure, dimensions.
 * The caller must still decode the pixels (assertDecodable, or a detector's own decode) before trusting them.
 */
export function checkWaferImage(bytes: Uint8Array, limits: WaferImageLimits): ValidatedWaferImage {
  if (bytes.byteLength === 0) throw new MalformedRequestError('The request carries no image.');
  if (bytes.byteLength > limits.maxBytes) throw new ImageTooLargeError(bytes.byteLength, limits.maxBytes);
  const structure = readImageStructure(bytes);
  const { width, height } = structure;
  if (width < limits.minSide || height < limits.minSide || width > limits.maxSide || height > limits.maxSide) {
    throw new ImageDimensionsOutOfRangeError(width, height, limits.minSide, limits.maxSide);
  }
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    bytes: buffer,
    format: structure.format,
    contentType: structure.format === 'png' ? 'image/png' : 'image/jpeg',
    width,
    height,
    sizeBytes: buffer.byteLength,
    sha256: createHash('sha256').update(buffer).digest('hex'),
  };
}

/**
 * Decode every byte of pixel data. `failOn: 'warning'` because libjpeg only warns about a scan cut
 * short ("premature end of data segment") and fills the rest grey: a wafer image with a missing half
 * must not be inspected as if whole. A tiny output keeps memory small while the whole stream is read.
 */
export async function assertDecodable(image: ValidatedWaferImage, maxSide: number): Promise<void> {
  try {
    await sharp(image.bytes, { failOn: 'warning', limitInputPixels: maxSide * maxSide, sequentialRead: true })
      .resize({ width: 32, height: 32, fit: 'fill', fastShrinkOnLoad: true })
      .raw()
      .toBuffer();
  } catch {
    throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
  }
}
