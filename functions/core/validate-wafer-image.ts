import { createHash } from 'node:crypto';
import { ImageDimensionsOutOfRangeError, ImageTooLargeError, MalformedRequestError } from './errors';
import { readImageStructure } from './image-structure';
import type { ImageDecoder } from './ports/image-decoder';
import type { ValidatedWaferImage } from './wafer-image';

/** What an accepted wafer image must satisfy. */
export interface WaferImageLimits {
  maxBytes: number;
  minSide: number;
  maxSide: number;
}

/**
 * Decide whether the bytes are an acceptable wafer image, by the bytes alone: size limit (ImageTooLargeError), PNG
 * or JPEG signature (UnsupportedImageTypeError), sound structure (CorruptImageError), each side within limits
 * (ImageDimensionsOutOfRangeError, before any pixel memory is allocated), and finally a real decode by `decoder` that
 * fails on truncated or corrupt pixel data (CorruptImageError). Every one of them is a refusal.
 */
export async function validateWaferImage(bytes: Uint8Array, limits: WaferImageLimits, decoder: ImageDecoder): Promise<ValidatedWaferImage> {
  const image = checkWaferImage(bytes, limits);
  await decoder.assertDecodable(image, limits.maxSide);
  return image;
}

/**
 * Every check of validateWaferImage except the pixel decode: size, signature, structure, dimensions.
 * The caller must still decode the pixels (an ImageDecoder, or a detector's own decode) before trusting them.
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
