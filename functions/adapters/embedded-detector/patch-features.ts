import { computeDescriptors } from './patch-statistics-kernel';
import type { WorkingImage } from './working-image';

/** How patch descriptors are computed; stored in the model so training and inference always agree. */
export interface FeatureSettings {
  /** Longest side of the working image, in pixels. */
  workingSide: number;
  /** Side of the square cells statistics are gathered in; also the stride between patches. */
  cellSize: number;
  /** Patch sides in cells, one descriptor block per scale (e.g. [2, 4]: one and two dies at 512 px). */
  scales: number[];
  /** Radius of the box the local contrast is measured against. */
  contrastRadius: number;
  /**
   * Photometric normalisation (format version 2): when set, every descriptor value of an image is multiplied by
   * `lightnessReference / L`, where L is the image's median brightness over its lit pixels (brightness of at least
   * a quarter of its 99th percentile, so a black surround of any size does not count). Every descriptor is
   * proportional to a gain on the pixel values, so a brighter or darker lamp or exposure leaves them unchanged.
   */
  lightnessReference?: number;
  /**
   * Rings of patches at the image border left out of the score (format version 2): the subject cut off by the
   * frame changes with framing and distance, not with the wafer. Absent or 0: every patch is scored.
   */
  borderPatches?: number;
}

/** The settings the default model was tuned with on the wafer photos. */
export const DEFAULT_FEATURE_SETTINGS: FeatureSettings = {
  workingSide: 512,
  cellSize: 8,
  scales: [2, 4],
  contrastRadius: 2,
  lightnessReference: 100,
  borderPatches: 2,
};

/** The largest cell side: the pixel kernel's integer sums of a cell fit 32 bits per lane up to this (patch-statistics.ts). */
export const MAX_CELL_SIDE = 128;
/**
 * The largest contrast radius: a box of at most 511 x 511 brightness values (float32 multiples of 2^-25 below 256) sums
 * exactly in float64 in any order, which the pixel kernel's box sums rely on (patch-statistics.ts).
 */
export const MAX_CONTRAST_RADIUS = 255;

/**
 * True when the pixel statistics are defined for these settings: whole-pixel cells of at most MAX_CELL_SIDE and a
 * whole-pixel contrast radius of at most MAX_CONTRAST_RADIUS (the bounds within which the kernel's sums are exact).
 * A model file is refused, and extractPatchFeatures throws, outside them.
 */
export function statisticsDefinedFor(settings: Pick<FeatureSettings, 'cellSize' | 'contrastRadius'>): boolean {
  const { cellSize, contrastRadius } = settings;
  return (
    Number.isInteger(cellSize) &&
    cellSize > 0 &&
    cellSize <= MAX_CELL_SIDE &&
    Number.isInteger(contrastRadius) &&
    contrastRadius >= 0 &&
    contrastRadius <= MAX_CONTRAST_RADIUS
  );
}

/** Statistics per scale: mean and std of brightness, two opponent colours and gradient, min/max local contrast, min brightness. */
export const VALUES_PER_SCALE = 11;

/** Patch descriptors on a regular grid, one row of `dims` values per patch, row-major over the grid. */
export interface PatchFeatures {
  gridWidth: number;
  gridHeight: number;
  dims: number;
  values: Float32Array;
}

/** Number of descriptor values for the settings. */
export function descriptorLength(settings: FeatureSettings): number {
  return settings.scales.length * VALUES_PER_SCALE;
}

/**
 * Extract colour and texture descriptors of overlapping square patches.
 * Every statistic is a mean, a spread or an extreme over a square window, so it barely changes
 * when the wafer is rotated; cells make each window a handful of additions instead of a pixel loop.
 *
 * Per cell: sums and squared sums of brightness ((R+G+B)/3 as float32), two opponent colours (red−green,
 * yellow−blue) and gradient magnitude; min and max local contrast (brightness minus its mean over a box of
 * `contrastRadius`, so dark specks and bright lines stand out whatever the pattern around them); min brightness.
 * Per patch and scale: the means and spreads of the four over the patch's cells, and the three extremes.
 * The pixel work runs in WebAssembly (patch-statistics-kernel.ts), to the same bits as the plain computation.
 */
export function extractPatchFeatures(image: WorkingImage, settings: FeatureSettings): PatchFeatures {
  const { width, height } = image;
  const cell = settings.cellSize;
  const cellsX = Math.floor(width / cell);
  const cellsY = Math.floor(height / cell);
  const smallest = Math.min(...settings.scales);
  const gridWidth = Math.max(1, cellsX - smallest + 1);
  const gridHeight = Math.max(1, cellsY - smallest + 1);
  const dims = descriptorLength(settings);
  if (cellsX < 1 || cellsY < 1) throw new Error(`The image (${width}x${height}) is smaller than one feature cell`);
  if (!statisticsDefinedFor(settings)) {
    throw new Error(
      `Feature cells are whole pixels up to ${MAX_CELL_SIDE} and the contrast radius whole pixels up to ${MAX_CONTRAST_RADIUS}, not ${cell} and ${settings.contrastRadius}`,
    );
  }

  // Larger windows are centred on the same point as the smallest one, clipped at the image border.
  const scales = settings.scales.map((scale, scaleIndex) => ({ scale, scaleIndex, before: Math.floor((scale - smallest) / 2) }));
  const shape = { cell, cellsX, cellsY, radius: settings.contrastRadius, gridWidth, gridHeight, dims };
  // Photometric normalisation: applied as each value is written (a gain of 1 leaves every value as it is).
  const values = computeDescriptors(image, shape, scales, (brightnessHistogram) =>
    settings.lightnessReference === undefined ? 1 : settings.lightnessReference / Math.max(1, litMedianOfHistogram(brightnessHistogram, width * height)),
  );
  return { gridWidth, gridHeight, dims, values };
}

/** Possible values of R+G+B for 8-bit pixels: 0..765. */
const CHANNEL_SUMS = 766;

/**
 * Median brightness ((R+G+B)/3) of the image's lit pixels: those at least a quarter of the 99th percentile.
 * Scales with a gain on the pixel values and ignores how much dark background surrounds the subject.
 */
export function litMedianBrightness(image: WorkingImage): number {
  const { rgb } = image;
  const n = image.width * image.height;
  const histogram = new Uint32Array(CHANNEL_SUMS);
  for (let q = 0; q < n * 3; q += 3) histogram[rgb[q]! + rgb[q + 1]! + rgb[q + 2]!]!++;
  return litMedianOfHistogram(histogram, n);
}

/**
 * litMedianBrightness from the histogram of R+G+B (0..765: exact, and a third of a grey level fine) of `n` pixels,
 * so feature extraction can gather the histogram in its own pass over the pixels.
 */
function litMedianOfHistogram(histogram: Uint32Array, n: number): number {
  let high = 765;
  for (let v = 765, above = 0; v >= 0; v--) {
    above += histogram[v]!;
    if (above >= n * 0.01) {
      high = v;
      break;
    }
  }
  const floor = Math.ceil(high / 4);
  let lit = 0;
  for (let v = floor; v <= 765; v++) lit += histogram[v]!;
  let seen = 0;
  for (let v = floor; v <= 765; v++) {
    seen += histogram[v]!;
    if (seen * 2 >= lit) return v / 3;
  }
  return high / 3;
}
