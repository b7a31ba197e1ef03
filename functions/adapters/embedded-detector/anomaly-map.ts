import type { PatchFeatures } from './patch-features';

/** Standardise descriptor values in place: (value - mean) / scale per dimension. */
export function standardise(features: PatchFeatures, mean: readonly number[], scale: readonly number[]): void {
  const { values, dims } = features;
  const inverse = scale.map((s) => 1 / s);
  for (let o = 0; o < values.length; o += dims) {
    for (let d = 0; d < dims; d++) values[o + d] = (values[o + d]! - mean[d]!) * inverse[d]!;
  }
}

/**
 * Box-average a score map over (2r+1)² patches (clipped at the border).
 * One odd patch is noise; a defect raises a neighbourhood, so the image score comes from the smoothed map.
 */
export function smoothScoreMap(scores: Float32Array, width: number, height: number, radius: number): Float32Array {
  if (radius <= 0) return Float32Array.from(scores);
  const horizontal = new Float32Array(scores.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const lo = Math.max(0, x - radius);
      const hi = Math.min(width - 1, x + radius);
      let sum = 0;
      for (let i = lo; i <= hi; i++) sum += scores[y * width + i]!;
      horizontal[y * width + x] = sum / (hi - lo + 1);
    }
  }
  const out = new Float32Array(scores.length);
  for (let y = 0; y < height; y++) {
    const lo = Math.max(0, y - radius);
    const hi = Math.min(height - 1, y + radius);
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = lo; i <= hi; i++) sum += horizontal[i * width + x]!;
      out[y * width + x] = sum / (hi - lo + 1);
    }
  }
  return out;
}

/**
 * The smoothed score map with the outermost `border` rings of patches left out (0): they are smoothed and
 * scored as if the image ended one ring inside them. Patches at the frame see the subject cut off by it, which
 * moves whenever the camera's distance or framing does; like PatchCore's centre crop, they are not judged.
 * A grid too small to keep anything inside the border is smoothed whole.
 */
export function interiorScoreMap(distances: Float32Array, width: number, height: number, border: number, radius: number): Float32Array {
  const b = Math.max(0, Math.floor(border));
  if (b === 0 || width - 2 * b < 1 || height - 2 * b < 1) return smoothScoreMap(distances, width, height, radius);
  const w = width - 2 * b;
  const h = height - 2 * b;
  const interior = new Float32Array(w * h);
  for (let y = 0; y < h; y++) interior.set(distances.subarray((y + b) * width + b, (y + b) * width + b + w), y * w);
  const smoothed = smoothScoreMap(interior, w, h, radius);
  const out = new Float32Array(width * height);
  for (let y = 0; y < h; y++) out.set(smoothed.subarray(y * w, (y + 1) * w), (y + b) * width + b);
  return out;
}

/** The image score: the worst (highest) smoothed patch score. */
export function imageScore(smoothed: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < smoothed.length; i++) if (smoothed[i]! > max) max = smoothed[i]!;
  return max;
}
