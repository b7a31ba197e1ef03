import sharp from 'sharp';

/** An image reduced to the detector's working resolution: interleaved 8-bit RGB. */
export interface WorkingImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, row-major RGB. */
  rgb: Uint8Array;
}

/** A working image with the size of the source it was decoded from (the mask is drawn at that size). */
export type DecodedWorkingImage = WorkingImage & { sourceWidth: number; sourceHeight: number };

/** Raw interleaved pixels as sharp hands them out (1 to 4 channels). */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** The working size of a source image: the largest size that fits `maxSide` and keeps the aspect ratio. */
export function workingSize(sourceWidth: number, sourceHeight: number, maxSide: number): { width: number; height: number } {
  const scale = maxSide / Math.max(sourceWidth, sourceHeight);
  return {
    width: Math.max(1, Math.round(sourceWidth * scale)),
    height: Math.max(1, Math.round(sourceHeight * scale)),
  };
}

// One kernel for inference and training alike, so a model never sees a resampling it was not trained on.
const RESIZE_KERNEL = 'linear' as const;
// Embedded ICC profiles are ignored (pixel values taken as sRGB) at training and inference alike: the
// detector compares a camera's images with that camera's images, and the colour transform cost
// ~11 ms of the ~90 ms it takes to decode a full-size progressive photo.

/**
 * Decode PNG/JPEG bytes (grey, grey+alpha, RGB or RGBA) and resize them to the working resolution.
 * Alpha is dropped (flattened on black, like the background of the photos).
 */
export async function decodeWorkingImage(bytes: Uint8Array, maxSide: number, sourceSize?: { width: number; height: number }): Promise<DecodedWorkingImage> {
  // failOn 'warning': libjpeg only warns when a scan is cut short and fills the rest grey, and a
  // half-grey wafer must be rejected as corrupt, not inspected (this decode is the pipeline's check).
  const image = sharp(bytes, { failOn: 'warning', ignoreIcc: true });
  // A validated image's size is already known from its headers: asking libvips again costs a round trip to
  // its thread pool for nothing (the decode itself still fails on a header that lies about it).
  const meta = sourceSize ?? (await image.metadata());
  if (!meta.width || !meta.height) throw new Error('The image has no dimensions');
  const size = workingSize(meta.width, meta.height, maxSide);
  const { data, info } = await image
    .flatten({ background: '#000000' })
    .resize(size.width, size.height, { fit: 'fill', kernel: RESIZE_KERNEL })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { ...toRgb({ width: info.width, height: info.height, channels: info.channels, pixels: data }), sourceWidth: meta.width, sourceHeight: meta.height };
}

/** Decode image bytes to raw pixels no larger than `maxSide` (used by training, which rotates before the final resize). */
export async function decodeRaw(bytes: Uint8Array, maxSide: number): Promise<RawImage> {
  const image = sharp(bytes, { failOn: 'error', ignoreIcc: true });
  const meta = await image.metadata();
  if (!meta.width || !meta.height) throw new Error('The image has no dimensions');
  const pipeline = image.flatten({ background: '#000000' });
  if (Math.max(meta.width, meta.height) > maxSide) {
    const size = workingSize(meta.width, meta.height, maxSide);
    pipeline.resize(size.width, size.height, { fit: 'fill', kernel: RESIZE_KERNEL });
  }
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, pixels: data };
}

/** Resize raw RGB pixels to the working resolution with the same kernel inference uses. */
export async function resizeToWorking(image: RawImage, maxSide: number): Promise<WorkingImage> {
  const size = workingSize(image.width, image.height, maxSide);
  if (size.width === image.width && size.height === image.height) return toRgb(image);
  const { data, info } = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: RESIZE_KERNEL })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return toRgb({ width: info.width, height: info.height, channels: info.channels, pixels: data });
}

/** Normalise 1–4 channel pixels to RGB (grey is replicated, alpha ignored). */
export function toRgb(image: RawImage): WorkingImage {
  const { width, height, channels, pixels } = image;
  if (channels === 3) return { width, height, rgb: new Uint8Array(pixels.buffer, pixels.byteOffset, width * height * 3) };
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < width * height; p++, q += channels) {
    const r = pixels[q]!;
    rgb[p * 3] = r;
    rgb[p * 3 + 1] = channels >= 3 ? pixels[q + 1]! : r;
    rgb[p * 3 + 2] = channels >= 3 ? pixels[q + 2]! : r;
  }
  return { width, height, rgb };
}
