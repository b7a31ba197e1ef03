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

/** A rectangle of the patch grid, in patches. */
export interface ScoredRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The patches an image is scored on: the grid without its outermost `border` rings of patches. Patches at the frame
 * see the subject cut off by it, which moves whenever the camera's distance or framing does; like PatchCore's centre
 * crop, they are not judged. A grid too small to keep anything inside the border is scored whole.
 */
export function scoredRegion(gridWidth: number, gridHeight: number, border: number): ScoredRegion {
  const b = Math.max(0, Math.floor(border));
  if (b === 0 || gridWidth - 2 * b < 1 || gridHeight - 2 * b < 1) return { left: 0, top: 0, width: gridWidth, height: gridHeight };
  return { left: b, top: b, width: gridWidth - 2 * b, height: gridHeight - 2 * b };
}

/** The rows (`dims` values per patch) of the region's patches, row-major over the region; the array itself when the region is the whole grid. */
export function regionRows(values: Float32Array, gridWidth: number, dims: number, region: ScoredRegion): Float32Array {
  if (region.width === gridWidth && region.height * gridWidth * dims === values.length) return values;
  const out = new Float32Array(region.width * region.height * dims);
  for (let y = 0; y < region.height; y++) {
    const start = ((region.top + y) * gridWidth + region.left) * dims;
    out.set(values.subarray(start, start + region.width * dims), y * region.width * dims);
  }
  return out;
}

/**
 * The smoothed score map of a grid from the scores of its scored region (row-major over the region): the region is
 * smoothed as if the image ended at its edge, and the patches outside it score 0.
 */
export function regionScoreMap(scores: Float32Array, region: ScoredRegion, gridWidth: number, gridHeight: number, radius: number): Float32Array {
  const smoothed = smoothScoreMap(scores, region.width, region.height, radius);
  if (region.width === gridWidth && region.height === gridHeight) return smoothed;
  const out = new Float32Array(gridWidth * gridHeight);
  for (let y = 0; y < region.height; y++) out.set(smoothed.subarray(y * region.width, (y + 1) * region.width), (region.top + y) * gridWidth + region.left);
  return out;
}

/** The image score: the worst (highest) smoothed patch score. */
export function imageScore(smoothed: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < smoothed.length; i++) if (smoothed[i]! > max) max = smoothed[i]!;
  return max;
}
