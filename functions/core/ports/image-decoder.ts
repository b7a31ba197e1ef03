import type { ValidatedWaferImage } from '../wafer-image';

/**
 * Decodes a wafer image's pixel data (sharp in production): the last check of an image, made before anything is stored,
 * that the bytes which look like a PNG or JPEG decode whole.
 */
export interface ImageDecoder {
  /**
   * Decode every byte of pixel data, allowing at most `maxSide` × `maxSide` pixels. Rejects with CorruptImageError
   * when the data is truncated or corrupt, including a scan that only ends early (whose missing part a decoder would
   * otherwise fill in).
   */
  assertDecodable(image: ValidatedWaferImage, maxSide: number): Promise<void>;
}
