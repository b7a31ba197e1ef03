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

// Per cell accumulators: sums and squared sums of 4 channels, then min contrast, max contrast, min brightness.
const CELL_STATS = 11;

/**
 * Extract colour and texture descriptors of overlapping square patches.
 * Every statistic is a mean, a spread or an extreme over a square window, so it barely changes
 * when the wafer is rotated; cells make each window a handful of additions instead of a pixel loop.
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

  const { cells, brightnessHistogram } = cellStatistics(image, cell, cellsX, cellsY, settings.contrastRadius);
  // Photometric normalisation: applied as each value is written (a gain of 1 leaves every value as it is).
  const gain =
    settings.lightnessReference === undefined ? 1 : settings.lightnessReference / Math.max(1, litMedianOfHistogram(brightnessHistogram, width * height));

  const values = new Float32Array(gridWidth * gridHeight * dims);
  const grid: DescriptorGrid = { cells, cellsX, cellsY, cell, gridWidth, dims, gain, values };
  for (let scaleIndex = 0; scaleIndex < settings.scales.length; scaleIndex++) {
    const scale = settings.scales[scaleIndex]!;
    // Larger windows are centred on the same point as the smallest one, clipped at the image border.
    const before = Math.floor((scale - smallest) / 2);
    for (let gy = 0; gy < gridHeight; gy++) writeDescriptorRow(grid, gy, scale, scaleIndex, before);
  }
  return { gridWidth, gridHeight, dims, values };
}

/** The cell statistics and where one image's descriptors go. */
interface DescriptorGrid {
  cells: Float64Array;
  cellsX: number;
  cellsY: number;
  cell: number;
  gridWidth: number;
  dims: number;
  gain: number;
  values: Float32Array;
}

/**
 * One scale's descriptors of one row of patches. A function of its own, called for every row, rather than a loop
 * nested in extractPatchFeatures: V8 then optimises it after a few rows like any hot function, instead of compiling
 * the loop on the stack and throwing that code away on each image's first unseen branch (which boxed every double
 * it computed meanwhile, about 1 MB of garbage per image).
 */
function writeDescriptorRow(grid: DescriptorGrid, gy: number, scale: number, scaleIndex: number, before: number): void {
  const { cells, cellsX, cellsY, cell, gridWidth, dims, gain, values } = grid;
  const y0 = Math.max(0, gy - before);
  const y1 = Math.min(cellsY, gy - before + scale);
  for (let gx = 0; gx < gridWidth; gx++) {
    const x0 = Math.max(0, gx - before);
    const x1 = Math.min(cellsX, gx - before + scale);
    // Cells are added row by row, left to right: the order fixes the rounding of the inexact sums.
    let sL = 0,
      sLL = 0,
      sA = 0,
      sAA = 0,
      sB = 0,
      sBB = 0,
      sG = 0,
      sGG = 0;
    let minC = Infinity,
      maxC = -Infinity,
      minL = Infinity;
    for (let cy = y0; cy < y1; cy++) {
      for (let k = (cy * cellsX + x0) * CELL_STATS, end = (cy * cellsX + x1) * CELL_STATS; k < end; k += CELL_STATS) {
        sL += cells[k]!;
        sLL += cells[k + 1]!;
        sA += cells[k + 2]!;
        sAA += cells[k + 3]!;
        sB += cells[k + 4]!;
        sBB += cells[k + 5]!;
        sG += cells[k + 6]!;
        sGG += cells[k + 7]!;
        if (cells[k + 8]! < minC) minC = cells[k + 8]!;
        if (cells[k + 9]! > maxC) maxC = cells[k + 9]!;
        if (cells[k + 10]! < minL) minL = cells[k + 10]!;
      }
    }
    const count = (y1 - y0) * (x1 - x0) * cell * cell;
    const o = (gy * gridWidth + gx) * dims + scaleIndex * VALUES_PER_SCALE;
    // Each value is rounded to float32 before the gain, as it is stored: the descriptors of a model's training.
    values[o] = Math.fround(sL / count) * gain;
    values[o + 1] = Math.fround(spread(sL, sLL, count)) * gain;
    values[o + 2] = Math.fround(sA / count) * gain;
    values[o + 3] = Math.fround(spread(sA, sAA, count)) * gain;
    values[o + 4] = Math.fround(sB / count) * gain;
    values[o + 5] = Math.fround(spread(sB, sBB, count)) * gain;
    values[o + 6] = Math.fround(sG / count) * gain;
    values[o + 7] = Math.fround(spread(sG, sGG, count)) * gain;
    values[o + 8] = Math.fround(minC) * gain;
    values[o + 9] = Math.fround(maxC) * gain;
    values[o + 10] = Math.fround(minL) * gain;
  }
}

/** Standard deviation from a sum and a sum of squares over `count` values (0 where rounding makes the variance negative). */
function spread(sum: number, sumOfSquares: number, count: number): number {
  const mean = sum / count;
  return Math.sqrt(Math.max(0, sumOfSquares / count - mean * mean));
}

/** Possible values of R+G+B for 8-bit pixels: 0..765. */
const CHANNEL_SUMS = 766;

/** (R+G+B)/3 as float32 for every R+G+B: a pixel's brightness by lookup instead of a division. */
const BRIGHTNESS_OF_SUM = Float32Array.from({ length: CHANNEL_SUMS }, (_, sum) => sum / 3);

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

/** Per cell statistics (CELL_STATS values per cell, row-major) and the histogram of R+G+B over the whole image. */
interface CellStatistics {
  cells: Float64Array;
  brightnessHistogram: Uint32Array;
}

/**
 * Per cell: sums and squared sums of brightness, two opponent colours (red−green, yellow−blue) and gradient
 * magnitude; min and max local contrast (brightness minus its box mean, so dark specks and bright lines stand out
 * whatever the pattern around them); min brightness. And the histogram of R+G+B over the whole image.
 *
 * One band of cells at a time: the gradient and local contrast of the band's pixels row by row, then each cell's
 * sums over its pixels, row by row and left to right. That order fixes the rounding of the sums of squared
 * brightness and of the gradients; the other sums are exact in any order (brightness values are float32 multiples
 * of 2^-25, the opponent colours integers and halves, summed here as integers). The contrast's box sums slide, per
 * column down the rows and along each row, exact in float64 for the same reason: equal to an integral image's
 * (itself exact up to about a million pixels) without its 8 bytes per pixel.
 */
function cellStatistics(image: WorkingImage, cell: number, cellsX: number, cellsY: number, radius: number): CellStatistics {
  const { width, height, rgb } = image;
  const n = width * height;
  // Brightness of every pixel, then a row of zeros standing for the rows beyond the image in the box sums.
  const lum = new Float32Array(n + width);
  const brightnessHistogram = new Uint32Array(CHANNEL_SUMS);
  for (let row = 0; row < n; row += width) brightnessRow(rgb, lum, brightnessHistogram, row, row + width);
  // Width of each column's contrast box, clipped at the image border.
  const boxWidth = new Int32Array(width);
  for (let x = 0; x < width; x++) boxWidth[x] = Math.min(width - 1, x + radius) + 1 - Math.max(0, x - radius);
  // Per column: brightness summed over the rows of the current row's box, [y − radius, y + radius] clipped. The
  // first box's rows but its last go in here; each row then adds the row entering its box and takes the one leaving.
  const columnSums = new Float64Array(width);
  for (let y = 0; y < Math.min(height, radius); y++) for (let x = 0, p = y * width; x < width; x++, p++) columnSums[x]! += lum[p]!;

  const spanX = cellsX * cell;
  const band: CellBand = {
    rgb,
    lum,
    width,
    height,
    radius,
    cell,
    spanX,
    boxWidth,
    columnSums,
    contrast: new Float64Array(cell * spanX),
    gradient: new Float64Array(cell * spanX),
  };
  const cells = new Float64Array(cellsX * cellsY * CELL_STATS);
  for (let cy = 0; cy < cellsY; cy++) {
    for (let y = cy * cell, o = 0; y < (cy + 1) * cell; y++, o += spanX) contrastAndGradientRow(band, y, o);
    for (let cx = 0; cx < cellsX; cx++) cellSums(band, cells, cy, cx, (cy * cellsX + cx) * CELL_STATS);
  }
  return { cells, brightnessHistogram };
}

/*
 * The passes over the pixels below are functions of their own, called row by row and cell by cell, rather than loops
 * nested in cellStatistics: V8 optimises such small hot functions after a few calls and keeps them, where a loop in a
 * function called once per image is compiled on the stack and its code dropped at the image's first branch not yet
 * seen, boxing every double it computed meanwhile.
 */

/** Brightness of the pixels [start, end) into `lum`, and their R+G+B into the histogram. */
function brightnessRow(rgb: Uint8Array, lum: Float32Array, histogram: Uint32Array, start: number, end: number): void {
  for (let p = start, q = start * 3; p < end; p++, q += 3) {
    const sum = rgb[q]! + rgb[q + 1]! + rgb[q + 2]!;
    lum[p] = BRIGHTNESS_OF_SUM[sum]!;
    histogram[sum]!++;
  }
}

/** One band of cells being measured: the image, its brightness, and the band's contrast and gradient per pixel. */
interface CellBand {
  rgb: Uint8Array;
  /** Brightness per pixel, then a row of zeros for the rows beyond the image. */
  lum: Float32Array;
  width: number;
  height: number;
  radius: number;
  cell: number;
  /** Pixels per band row that lie in whole cells. */
  spanX: number;
  boxWidth: Int32Array;
  /** Per column, brightness over the current row's box rows (slid down a row by each contrastAndGradientRow). */
  columnSums: Float64Array;
  /** Local contrast and gradient magnitude of the band's pixels, `spanX` per row. */
  contrast: Float64Array;
  gradient: Float64Array;
}

/** Local contrast and gradient magnitude of image row `y`, written at `o` in the band's arrays. */
function contrastAndGradientRow(band: CellBand, y: number, o: number): void {
  const { lum, width, height, radius, spanX, columnSums, contrast, gradient } = band;
  const beyond = width * height;
  const entering = y + radius < height ? (y + radius) * width : beyond;
  const leaving = y - radius - 1 >= 0 ? (y - radius - 1) * width : beyond;
  const boxHeight = Math.min(height - 1, y + radius) + 1 - Math.max(0, y - radius);
  const up = (y > 0 ? y - 1 : y) * width;
  const down = (y < height - 1 ? y + 1 : y) * width;
  const row = y * width;
  // Along the row the box sum slides too: it starts with columns [0, radius), then column x + radius enters
  // (its column sum brought to this row as it does) and column x − radius − 1 leaves.
  let boxSum = 0;
  for (let x = 0; x < Math.min(width, radius); x++) {
    columnSums[x]! += lum[entering + x]! - lum[leaving + x]!;
    boxSum += columnSums[x]!;
  }
  // The columns near either edge, where the box is clipped or a neighbour is missing, take the checks; the columns
  // between them (nearly all) the same arithmetic without them, so each value is the same to the bit.
  const innerStart = Math.min(spanX, radius + 1);
  const innerEnd = Math.max(innerStart, Math.min(spanX, width - radius, width - 1));
  for (let x = 0; x < innerStart; x++) {
    boxSum = slideBox(band, x, entering, leaving, boxSum);
    edgeColumn(band, x, o + x, row, up, down, boxHeight, boxSum);
  }
  const fullBox = boxHeight * (2 * radius + 1);
  for (let x = innerStart, p = row + x, q = o + x; x < innerEnd; x++, p++, q++) {
    const right = x + radius;
    columnSums[right]! += lum[entering + right]! - lum[leaving + right]!;
    boxSum += columnSums[right]!;
    boxSum -= columnSums[x - radius - 1]!;
    contrast[q] = lum[p]! - boxSum / fullBox;
    const dx = lum[p + 1]! - lum[p - 1]!;
    const dy = lum[down + x]! - lum[up + x]!;
    gradient[q] = Math.sqrt(dx * dx + dy * dy);
  }
  for (let x = innerEnd; x < spanX; x++) {
    boxSum = slideBox(band, x, entering, leaving, boxSum);
    edgeColumn(band, x, o + x, row, up, down, boxHeight, boxSum);
  }
}

/** The box sum of column `x`'s box, slid from the previous column's: column x + radius enters (when in the image), x − radius − 1 leaves. */
function slideBox(band: CellBand, x: number, entering: number, leaving: number, boxSum: number): number {
  const { lum, width, radius, columnSums } = band;
  const right = x + radius;
  if (right < width) {
    columnSums[right]! += lum[entering + right]! - lum[leaving + right]!;
    boxSum += columnSums[right]!;
  }
  if (x > radius) boxSum -= columnSums[x - radius - 1]!;
  return boxSum;
}

/** Contrast and gradient of one pixel near the row's ends, with its box (`boxSum`) clipped and neighbours clamped. */
function edgeColumn(band: CellBand, x: number, q: number, row: number, up: number, down: number, boxHeight: number, boxSum: number): void {
  const { lum, width, boxWidth, contrast, gradient } = band;
  contrast[q] = lum[row + x]! - boxSum / (boxHeight * boxWidth[x]!);
  const dx = lum[row + (x < width - 1 ? x + 1 : x)]! - lum[row + (x > 0 ? x - 1 : x)]!;
  const dy = lum[down + x]! - lum[up + x]!;
  gradient[q] = Math.sqrt(dx * dx + dy * dy);
}

/** The statistics of cell (cx, cy) of the band, written at `k` in `cells`. */
function cellSums(band: CellBand, cells: Float64Array, cy: number, cx: number, k: number): void {
  const { rgb, lum, width, cell, spanX, contrast, gradient } = band;
  let sL = 0,
    sLL = 0,
    sG = 0,
    sGG = 0;
  // Red−green, and yellow−blue doubled ((R+G)/2 − B is a half-integer): integer sums.
  let sA = 0,
    sAA = 0,
    sB2 = 0,
    sBB4 = 0;
  let minC = Infinity,
    maxC = -Infinity,
    minSum = CHANNEL_SUMS - 1;
  for (let y = cy * cell, o = cx * cell; y < (cy + 1) * cell; y++, o += spanX) {
    for (let p = y * width + cx * cell, q = p * 3, i = o, end = o + cell; i < end; p++, q += 3, i++) {
      const r = rgb[q]!;
      const g = rgb[q + 1]!;
      const b = rgb[q + 2]!;
      const l = lum[p]!;
      const a = r - g;
      const yb2 = r + g - 2 * b;
      const grad = gradient[i]!;
      const c = contrast[i]!;
      sL += l;
      sLL += l * l;
      sA += a;
      sAA += a * a;
      sB2 += yb2;
      sBB4 += yb2 * yb2;
      sG += grad;
      sGG += grad * grad;
      if (c < minC) minC = c;
      if (c > maxC) maxC = c;
      if (r + g + b < minSum) minSum = r + g + b;
    }
  }
  cells[k] = sL;
  cells[k + 1] = sLL;
  cells[k + 2] = sA;
  cells[k + 3] = sAA;
  cells[k + 4] = sB2 * 0.5;
  cells[k + 5] = sBB4 * 0.25;
  cells[k + 6] = sG;
  cells[k + 7] = sGG;
  cells[k + 8] = minC;
  cells[k + 9] = maxC;
  // Brightness grows with R+G+B, so the darkest pixel is the one with the least R+G+B.
  cells[k + 10] = BRIGHTNESS_OF_SUM[minSum]!;
}
