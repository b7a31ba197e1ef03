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
  const rotated = await sharp(image.pixels, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } })
    .rotate(turns, { background: '#000000' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return centreOnCanvas({ width: rotated.info.width, height: rotated.info.height, channels: rotated.info.channels, pixels: rotated.data }, width, height);
}

/** Crop or pad (black) an image about its centre to exactly width x height. */
export function centreOnCanvas(image: RawImage, width: number, height: number): RawImage {
  const { channels } = image;
  const out = new Uint8Array(width * height * channels);
  const dx = Math.floor((image.width - width) / 2);
  const dy = Math.floor((image.height - height) / 2);
  for (let y = 0; y < height; y++) {
    const sy = y + dy;
    if (sy < 0 || sy >= image.height) continue;
    const x0 = Math.max(0, -dx);
    const x1 = Math.min(width, image.width - dx);
    if (x1 <= x0) continue;
    out.set(image.pixels.subarray((sy * image.width + x0 + dx) * channels, (sy * image.width + x1 + dx) * channels), (y * width + x0) * channels);
  }
  return { width, height, channels, pixels: out };
}
