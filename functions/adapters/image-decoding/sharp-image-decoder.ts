import sharp from 'sharp';
import { CorruptImageError } from '../../core/errors';
import type { ImageDecoder } from '../../core/ports/image-decoder';
import type { ValidatedWaferImage } from '../../core/wafer-image';

/**
 * The decode check with sharp (libvips). `failOn: 'warning'` because libjpeg only warns about a scan cut short
 * ("premature end of data segment") and fills the rest grey: a wafer image with a missing half must not be inspected as
 * if whole. A tiny output keeps memory small while the whole stream is read.
 */
export class SharpImageDecoder implements ImageDecoder {
  /** Decode every byte of pixel data; CorruptImageError when it cannot be. */
  async assertDecodable(image: ValidatedWaferImage, maxSide: number): Promise<void> {
    try {
      await sharp(image.bytes, { failOn: 'warning', limitInputPixels: maxSide * maxSide, sequentialRead: true })
        .resize({ width: 32, height: 32, fit: 'fill', fastShrinkOnLoad: true })
        .raw()
        .toBuffer();
    } catch {
      throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
    }
  }
}
