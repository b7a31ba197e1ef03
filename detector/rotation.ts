import sharp from 'sharp';
import type { RawImage } from '../functions/adapters/embedded-detector/working-image';

/**
 * Rotate an image about its centre by `degrees` (clockwise) on a canvas of the same size, uncovered
 * corners black — what a camera or a photo editor does to a wafer at another angle. Native (libvips), bilinear.
 */
export async function rotateRaw(image: RawImage, degrees: number): Promise<RawImage> {
  const turns = ((degrees % 360) + 360) % 360;
  if (turns === 0) return image;
  const { width, height, channels } = image;
  const raw = { width, height, channels: channels as 1 | 2 | 3 | 4 };
  const rotated = await sharp(image.pixels, { raw }).rotate(turns, { background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
  const left = Math.floor((rotated.info.width - width) / 2);
  const top = Math.floor((rotated.info.height - height) / 2);
  const { data, info } = await sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: rotated.info.channels } })
    .extract({ left, top, width, height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, pixels: data };
}
