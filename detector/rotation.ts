import type { RawImage } from '../functions/adapters/embedded-detector/working-image';

/**
 * Rotate an image about its centre by `degrees` (counter-clockwise) on a canvas of the same size,
 * bilinear, uncovered corners black — what a camera or a photo editor does to a wafer at another angle.
 */
export function rotateRaw(image: RawImage, degrees: number): RawImage {
  const { width, height, channels, pixels } = image;
  const turns = ((degrees % 360) + 360) % 360;
  if (turns === 0) return image;
  const radians = (turns * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const dy = y - cy;
    for (let x = 0; x < width; x++) {
      const dx = x - cx;
      // Inverse mapping: where in the source does this output pixel come from.
      const sx = cos * dx - sin * dy + cx;
      const sy = sin * dx + cos * dy + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 >= width - 1 || y0 >= height - 1) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * width + x) * channels;
      const a = (y0 * width + x0) * channels;
      const b = a + channels;
      const c = a + width * channels;
      const d = c + channels;
      for (let k = 0; k < channels; k++) {
        const top = pixels[a + k]! + (pixels[b + k]! - pixels[a + k]!) * fx;
        const bottom = pixels[c + k]! + (pixels[d + k]! - pixels[c + k]!) * fx;
        out[o + k] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { width, height, channels, pixels: out };
}
