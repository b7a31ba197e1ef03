import sharp from 'sharp';
import { decodeRaw } from '../functions/adapters/embedded-detector/working-image';
import { rotateRaw } from './rotation';
import type { NamedImage } from './training';

/**
 * A copy of a photo rotated by `degrees` at full resolution on a canvas of the same size (corners black),
 * re-encoded as JPEG: test images at angles no training image has.
 */
export async function rotatedPhoto(image: NamedImage, degrees: number): Promise<NamedImage> {
  const rotated = await rotateRaw(await decodeRaw(image.bytes, 8192), degrees);
  const bytes = await sharp(rotated.pixels, { raw: { width: rotated.width, height: rotated.height, channels: rotated.channels as 1 | 2 | 3 | 4 } })
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name: `${degrees}_${image.name.replace(/^\d+_/, '')}`, bytes };
}
