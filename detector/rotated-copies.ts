import sharp from 'sharp';
import type { NamedImage } from './training';

/**
 * A copy of a photo rotated by `degrees` at full resolution on a canvas of the same size (corners black),
 * re-encoded as JPEG: test images at angles no training image has.
 */
export async function rotatedPhoto(image: NamedImage, degrees: number): Promise<NamedImage> {
  const meta = await sharp(image.bytes).metadata();
  const width = meta.width!;
  const height = meta.height!;
  const rotated = await sharp(image.bytes).rotate(-degrees, { background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
  const left = Math.floor((rotated.info.width - width) / 2);
  const top = Math.floor((rotated.info.height - height) / 2);
  const bytes = await sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: rotated.info.channels } })
    .extract({ left, top, width, height })
    .jpeg({ quality: 92 })
    .toBuffer();
  return { name: `${degrees}_${image.name.replace(/^\d+_/, '')}`, bytes };
}
