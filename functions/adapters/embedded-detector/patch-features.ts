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

  const cells = cellStatistics(image, cell, cellsX, cellsY, settings.contrastRadius);

  const values = new Float32Array(gridWidth * gridHeight * dims);
  const sums = new Float64Array(8);
  settings.scales.forEach((scale, scaleIndex) => {
    // Larger windows are centred on the same point as the smallest one, clipped at the image border.
    const before = Math.floor((scale - smallest) / 2);
    for (let gy = 0; gy < gridHeight; gy++) {
      const y0 = Math.max(0, gy - before);
      const y1 = Math.min(cellsY, gy - before + scale);
      for (let gx = 0; gx < gridWidth; gx++) {
        const x0 = Math.max(0, gx - before);
        const x1 = Math.min(cellsX, gx - before + scale);
        sums.fill(0);
        let minC = Infinity;
        let maxC = -Infinity;
        let minL = Infinity;
        for (let cy = y0; cy < y1; cy++) {
          for (let cx = x0; cx < x1; cx++) {
            const k = (cy * cellsX + cx) * CELL_STATS;
            for (let s = 0; s < 8; s++) sums[s]! += cells[k + s]!;
            if (cells[k + 8]! < minC) minC = cells[k + 8]!;
            if (cells[k + 9]! > maxC) maxC = cells[k + 9]!;
            if (cells[k + 10]! < minL) minL = cells[k + 10]!;
          }
        }
        const count = (y1 - y0) * (x1 - x0) * cell * cell;
        const o = (gy * gridWidth + gx) * dims + scaleIndex * VALUES_PER_SCALE;
        for (let s = 0; s < 4; s++) {
          const mean = sums[2 * s]! / count;
          values[o + 2 * s] = mean;
          values[o + 2 * s + 1] = Math.sqrt(Math.max(0, sums[2 * s + 1]! / count - mean * mean));
        }
        values[o + 8] = minC;
        values[o + 9] = maxC;
        values[o + 10] = minL;
      }
    }
  });
  if (settings.lightnessReference !== undefined) {
    const gain = settings.lightnessReference / Math.max(1, litMedianBrightness(image));
    for (let i = 0; i < values.length; i++) values[i]! *= gain;
  }
  return { gridWidth, gridHeight, dims, values };
}

/**
 * Median brightness ((R+G+B)/3) of the image's lit pixels: those at least a quarter of the 99th percentile.
 * Scales with a gain on the pixel values and ignores how much dark background surrounds the subject.
 */
export function litMedianBrightness(image: WorkingImage): number {
  const { rgb } = image;
  const n = image.width * image.height;
  // Histogram of R+G+B (0..765): exact, and a third of a grey level fine.
  const histogram = new Uint32Array(766);
  for (let q = 0; q < n * 3; q += 3) histogram[rgb[q]! + rgb[q + 1]! + rgb[q + 2]!]!++;
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

/**
 * One pass over the pixels gathering, per cell: sums and squared sums of brightness, two opponent
 * colours (red−green, yellow−blue) and gradient magnitude; min and max local contrast (brightness minus
 * its box mean, so dark specks and bright lines stand out whatever the pattern around them); min brightness.
 */
function cellStatistics(image: WorkingImage, cell: number, cellsX: number, cellsY: number, radius: number): Float64Array {
  const { width, height, rgb } = image;
  const n = width * height;
  const lum = new Float32Array(n);
  for (let p = 0, q = 0; p < n; p++, q += 3) lum[p] = (rgb[q]! + rgb[q + 1]! + rgb[q + 2]!) / 3;
  // Integral image of brightness: any box mean in four lookups.
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += lum[y * width + x]!;
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1]! + rowSum;
    }
  }
  // Border handling hoisted out of the pixel loop: neighbour columns and box edges per column.
  const previous = new Int32Array(width);
  const next = new Int32Array(width);
  const boxLeft = new Int32Array(width);
  const boxRight = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    previous[x] = x > 0 ? x - 1 : x;
    next[x] = x < width - 1 ? x + 1 : x;
    boxLeft[x] = Math.max(0, x - radius);
    boxRight[x] = Math.min(width - 1, x + radius) + 1;
  }
  const cells = new Float64Array(cellsX * cellsY * CELL_STATS);
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
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
      for (let y = cy * cell; y < (cy + 1) * cell; y++) {
        const up = (y > 0 ? y - 1 : y) * width;
        const down = (y < height - 1 ? y + 1 : y) * width;
        const row = y * width;
        const topRow = Math.max(0, y - radius);
        const bottomRow = Math.min(height - 1, y + radius) + 1;
        const top = topRow * stride;
        const bottom = bottomRow * stride;
        const boxHeight = bottomRow - topRow;
        for (let x = cx * cell; x < (cx + 1) * cell; x++) {
          const p = row + x;
          const q = p * 3;
          const r = rgb[q]!;
          const g = rgb[q + 1]!;
          const b = rgb[q + 2]!;
          const l = lum[p]!;
          const a = r - g;
          const yb = (r + g) * 0.5 - b;
          const dx = lum[row + next[x]!]! - lum[row + previous[x]!]!;
          const dy = lum[down + x]! - lum[up + x]!;
          const grad = Math.sqrt(dx * dx + dy * dy);
          const left = boxLeft[x]!;
          const right = boxRight[x]!;
          const boxSum = integral[bottom + right]! - integral[top + right]! - integral[bottom + left]! + integral[top + left]!;
          const c = l - boxSum / (boxHeight * (right - left));
          sL += l;
          sLL += l * l;
          sA += a;
          sAA += a * a;
          sB += yb;
          sBB += yb * yb;
          sG += grad;
          sGG += grad * grad;
          if (c < minC) minC = c;
          if (c > maxC) maxC = c;
          if (l < minL) minL = l;
        }
      }
      const k = (cy * cellsX + cx) * CELL_STATS;
      cells[k] = sL;
      cells[k + 1] = sLL;
      cells[k + 2] = sA;
      cells[k + 3] = sAA;
      cells[k + 4] = sB;
      cells[k + 5] = sBB;
      cells[k + 6] = sG;
      cells[k + 7] = sGG;
      cells[k + 8] = minC;
      cells[k + 9] = maxC;
      cells[k + 10] = minL;
    }
  }
  return cells;
}
