import sharp, { type Sharp } from 'sharp';
import type { RawImage } from '../functions/adapters/embedded-detector/working-image';
import { centreOnCanvas } from './rotation';

/**
 * A change of the camera a wafer photo may drift through: lamp ageing (brightness), focus (Gaussian
 * blur), compression (JPEG quality) and distance or lens (scale of the wafer in a frame of the same size).
 */
export type Perturbation =
  | { kind: 'none' }
  /** Pixel values multiplied by `factor` (a lamp or exposure gain, clipped at white), e.g. 1.15 for 15 % brighter. */
  | { kind: 'brightness'; factor: number }
  /** Lightness L* multiplied by `factor` with the chroma kept (sharp's modulate): a photo editor's brightness. */
  | { kind: 'lightness'; factor: number }
  /** Gaussian blur of `sigma` pixels of the image as given. */
  | { kind: 'blur'; sigma: number }
  /** Re-encoded as a baseline JPEG of this quality. */
  | { kind: 'jpeg'; quality: number }
  /** Content scaled by `factor` about the centre on a canvas of the same size (black where uncovered). */
  | { kind: 'scale'; factor: number };

/** The camera drift the detector must tolerate (issue 14, "Robust to the camera"), in report order. */
export const DRIFT_PERTURBATIONS: readonly Perturbation[] = [
  ...[0.85, 0.9, 0.95, 1.05, 1.1, 1.15].map((factor) => ({ kind: 'brightness', factor }) as const),
  ...[0.5, 1, 1.5].map((sigma) => ({ kind: 'blur', sigma }) as const),
  ...[90, 70, 50].map((quality) => ({ kind: 'jpeg', quality }) as const),
  ...[0.9, 0.95, 1.05, 1.1].map((factor) => ({ kind: 'scale', factor }) as const),
];

/** Short label of a perturbation, e.g. "brightness +15%", "blur σ1.5", "jpeg q50", "scale 90%". */
export function perturbationLabel(p: Perturbation): string {
  switch (p.kind) {
    case 'none':
      return 'none';
    case 'brightness':
    case 'lightness': {
      const percent = Math.round((p.factor - 1) * 100);
      return `${p.kind} ${percent >= 0 ? '+' : ''}${percent}%`;
    }
    case 'blur':
      return `blur σ${p.sigma}`;
    case 'jpeg':
      return `jpeg q${p.quality}`;
    case 'scale':
      return `scale ${Math.round(p.factor * 100)}%`;
  }
}

/** The short form parsePerturbation reads, e.g. "brightness:1.15", "blur:1.5", "jpeg:50", "none". */
export function perturbationSpec(p: Perturbation): string {
  switch (p.kind) {
    case 'none':
      return 'none';
    case 'blur':
      return `blur:${p.sigma}`;
    case 'jpeg':
      return `jpeg:${p.quality}`;
    default:
      return `${p.kind}:${p.factor}`;
  }
}

/**
 * Parse a perturbation label as perturbationLabel writes it, or a short form: "brightness:1.15",
 * "blur:1.5", "jpeg:50", "scale:0.9", "none".
 */
export function parsePerturbation(text: string): Perturbation {
  const t = text.trim();
  if (t === 'none') return { kind: 'none' };
  const match = /^(brightness|lightness|blur|jpeg|scale):([0-9.]+)$/.exec(t);
  if (!match) throw new Error(`Not a perturbation: ${text} (brightness:1.15, lightness:1.15, blur:1.5, jpeg:50, scale:0.9 or none)`);
  const value = Number(match[2]);
  if (!(value > 0)) throw new Error(`Not a perturbation amount: ${text}`);
  switch (match[1]) {
    case 'brightness':
      return { kind: 'brightness', factor: value };
    case 'lightness':
      return { kind: 'lightness', factor: value };
    case 'blur':
      return { kind: 'blur', sigma: value };
    case 'jpeg':
      return { kind: 'jpeg', quality: Math.round(value) };
    default:
      return { kind: 'scale', factor: value };
  }
}

/** Apply a perturbation to raw pixels (1–4 channels, 8 bit), keeping their size and channel count. */
export async function perturbRaw(image: RawImage, p: Perturbation): Promise<RawImage> {
  const { width, height, channels } = image;
  const input = () => sharp(image.pixels, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
  const toRaw = async (pipeline: Sharp): Promise<RawImage> => {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, pixels: data };
  };
  switch (p.kind) {
    case 'none':
      return image;
    case 'brightness':
      return toRaw(input().linear(p.factor, 0));
    case 'lightness':
      return toRaw(
        input()
          .modulate({ brightness: p.factor })
          .toColourspace(channels >= 3 ? 'srgb' : 'b-w'),
      );
    case 'blur':
      return toRaw(input().blur(p.sigma));
    case 'jpeg': {
      const jpeg = await input().jpeg({ quality: p.quality }).toBuffer();
      return toRaw(sharp(jpeg));
    }
    case 'scale': {
      const scaled = await toRaw(input().resize(Math.max(1, Math.round(width * p.factor)), Math.max(1, Math.round(height * p.factor)), { fit: 'fill' }));
      return centreOnCanvas(scaled, width, height);
    }
  }
}

/**
 * A perturbed copy of a PNG/JPEG photo at its own resolution, as a camera would send it: JPEG (quality 95,
 * 4:4:4, or the perturbation's own quality). `none` answers the bytes unchanged.
 */
export async function perturbPhoto(bytes: Uint8Array, p: Perturbation): Promise<Uint8Array> {
  if (p.kind === 'none') return bytes;
  const { data, info } = await sharp(bytes, { ignoreIcc: true }).flatten({ background: '#000000' }).raw().toBuffer({ resolveWithObject: true });
  const raw: RawImage = { width: info.width, height: info.height, channels: info.channels, pixels: data };
  if (p.kind === 'jpeg')
    return sharp(raw.pixels, { raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 2 | 3 | 4 } })
      .jpeg({ quality: p.quality })
      .toBuffer();
  const out = await perturbRaw(raw, p);
  return sharp(out.pixels, { raw: { width: out.width, height: out.height, channels: out.channels as 1 | 2 | 3 | 4 } })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
}
