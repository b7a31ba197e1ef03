import sharp from 'sharp';
import type { ImageSize } from './onnx-model-signature';

/** How pixels become the model's input tensor (ONNX_INPUT_NORMALIZATION). */
export type InputNormalization = 'none' | 'imagenet';

/** ImageNet's per-channel mean and standard deviation (RGB, on [0, 1]): torchvision's and anomalib's defaults. */
const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** One wafer image as the model takes it, with the size of the source (the mask is drawn at that size). */
export interface OnnxInputImage {
  /** float32 RGB, planar (NCHW with N = 1): 3 * width * height values. */
  tensor: Float32Array;
  width: number;
  height: number;
  sourceWidth: number;
  sourceHeight: number;
}

/**
 * Decode PNG/JPEG bytes and make the model's input: the whole image stretched to the input size (as anomalib's
 * Resize does, so the anomaly map maps back onto the image by stretching it again), bilinear, alpha flattened on
 * black, RGB scaled to [0, 1], and with `imagenet` also standardised with ImageNet's mean and deviation. Throws
 * when the bytes do not decode; decoding fails on libjpeg's warnings too, so a truncated JPEG is not inspected as a
 * half-grey wafer (this decode is the pipeline's corrupt-image check).
 */
export async function decodeModelInput(bytes: Uint8Array, size: ImageSize, normalization: InputNormalization): Promise<OnnxInputImage> {
  const image = sharp(bytes, { failOn: 'warning', ignoreIcc: true });
  const meta = await image.metadata();
  if (!meta.width || !meta.height) throw new Error('The image has no dimensions');
  const { data, info } = await image
    .flatten({ background: '#000000' })
    .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { tensor: toPlanarTensor(data, info.width * info.height, info.channels, normalization), ...size, sourceWidth: meta.width, sourceHeight: meta.height };
}

/** Interleaved 8-bit pixels (grey, grey+alpha, RGB, RGBA) to planar float RGB. */
export function toPlanarTensor(pixels: Uint8Array, pixelCount: number, channels: number, normalization: InputNormalization): Float32Array {
  const tensor = new Float32Array(3 * pixelCount);
  const colour = channels >= 3;
  for (let c = 0; c < 3; c++) {
    const mean = normalization === 'imagenet' ? IMAGENET_MEAN[c]! : 0;
    const scale = normalization === 'imagenet' ? 1 / (255 * IMAGENET_STD[c]!) : 1 / 255;
    const offset = normalization === 'imagenet' ? mean / IMAGENET_STD[c]! : 0;
    const source = colour ? c : 0;
    const plane = c * pixelCount;
    for (let i = 0; i < pixelCount; i++) tensor[plane + i] = pixels[i * channels + source]! * scale - offset;
  }
  return tensor;
}
