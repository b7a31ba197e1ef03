/*
 * The embedded detector's pixel statistics in WebAssembly (AssemblyScript, compiled with SIMD by
 * `npm run build:kernels` into ../patch-statistics-wasm.ts; the build is checked by a test).
 *
 * Why by hand: these are the model's own descriptors (patch-features.ts says what each one is), which no library
 * computes, and every model was trained on their exact bits. Why WebAssembly: they were the largest part of an
 * inspection's own CPU, and with 128-bit SIMD the same arithmetic takes less than half the time it took in JavaScript.
 *
 * The bits are those of the JavaScript this replaced (the reference test in patch-features.test.ts holds the kernel to
 * the plain per-pixel computation): every float operation is the one JavaScript did, IEEE float64 or float32 as there,
 * and where the order of additions decides the rounding, it is kept. SIMD is used only where the order cannot matter:
 * 2 pixels side by side through the same per-pixel formula, sums that are exact in any order (integers; brightness
 * box sums, of float32 multiples of 2^-25 below 256, which stay far within float64's 53 bits), and minima and maxima
 * (of values that are never NaN nor -0).
 *
 * Memory: the caller (patch-statistics-kernel.ts) lays out the image, the outputs and a scratch area in this module's
 * memory and passes their byte offsets.
 */

/** Statistics per cell: sums and squared sums of 4 channels, min and max local contrast, min brightness. */
const CELL_STATS: i32 = 11;
/** Descriptor values per scale (patch-features.ts VALUES_PER_SCALE). */
const VALUES_PER_SCALE: i32 = 11;
/** Possible values of R+G+B for 8-bit pixels: 0..765. */
const CHANNEL_SUMS: i32 = 766;

function align8(bytes: usize): usize {
  return (bytes + 7) & ~(<usize>7);
}

/** Bytes of the scratch area cellStatistics needs for an image of this size. */
export function scratchBytes(width: i32, height: i32, cell: i32, cellsX: i32): usize {
  const pixels = <usize>width * <usize>height;
  const spanX = <usize>cellsX * <usize>cell;
  return align8(<usize>CHANNEL_SUMS * 4) + align8((pixels + <usize>width) * 4) + align8(<usize>width * 4) + <usize>width * 8 + 2 * <usize>cell * spanX * 8;
}

/**
 * The statistics of every whole cell (CELL_STATS float64 values per cell, row-major) and the histogram of R+G+B over
 * the image (CHANNEL_SUMS uint32). `rgb` is followed by at least 16 readable bytes (whole-vector loads). Cells are at
 * most 128 pixels wide: a lane of the integer sums adds up to cell × (cell/4 + 3) squares of at most 510 in 32 bits.
 */
export function cellStatistics(
  rgb: usize,
  width: i32,
  height: i32,
  cell: i32,
  cellsX: i32,
  cellsY: i32,
  radius: i32,
  cells: usize,
  histogram: usize,
  scratch: usize,
): void {
  const pixels = width * height;
  const spanX = cellsX * cell;
  // The scratch area: brightness of each R+G+B, then of each pixel (and a row of zeros standing for the rows beyond
  // the image in the box sums), each column's box width, each column's box sum over the current row's box rows, and
  // the contrast and gradient of one band of cells.
  const brightnessOfSum = scratch;
  const lum = brightnessOfSum + align8(<usize>CHANNEL_SUMS * 4);
  const boxWidth = lum + align8(<usize>(pixels + width) * 4);
  const columnSums = boxWidth + align8(<usize>width * 4);
  const contrast = columnSums + <usize>width * 8;
  const gradient = contrast + <usize>(cell * spanX) * 8;

  // (R+G+B)/3 rounded to float32, as a Float32Array stores the float64 quotient.
  for (let sum: i32 = 0; sum < CHANNEL_SUMS; sum++) store<f32>(brightnessOfSum + ((<usize>sum) << 2), <f32>(<f64>sum / 3.0));
  memory.fill(histogram, 0, <usize>CHANNEL_SUMS * 4);
  for (let p: i32 = 0; p < pixels; p++) {
    const q = rgb + <usize>p * 3;
    const sum = <i32>load<u8>(q) + <i32>load<u8>(q, 1) + <i32>load<u8>(q, 2);
    store<f32>(lum + ((<usize>p) << 2), load<f32>(brightnessOfSum + ((<usize>sum) << 2)));
    const bin = histogram + ((<usize>sum) << 2);
    store<u32>(bin, load<u32>(bin) + 1);
  }
  memory.fill(lum + ((<usize>pixels) << 2), 0, <usize>width * 4);
  for (let x: i32 = 0; x < width; x++) store<i32>(boxWidth + ((<usize>x) << 2), min(width - 1, x + radius) + 1 - max(0, x - radius));
  // The first row's box rows but its last; each row then adds the row entering its box and takes the one leaving.
  memory.fill(columnSums, 0, <usize>width * 8);
  for (let y: i32 = 0; y < min(height, radius); y++) {
    for (let x: i32 = 0; x < width; x++) {
      const sum = columnSums + ((<usize>x) << 3);
      store<f64>(sum, load<f64>(sum) + lumAt(lum, y * width + x));
    }
  }

  for (let cy: i32 = 0; cy < cellsY; cy++) {
    for (let y = cy * cell, o: i32 = 0; y < (cy + 1) * cell; y++, o += spanX) {
      contrastAndGradientRow(lum, width, height, radius, spanX, boxWidth, columnSums, contrast, gradient, y, o);
    }
    for (let cx: i32 = 0; cx < cellsX; cx++) {
      cellSums(rgb, lum, brightnessOfSum, width, cell, spanX, contrast, gradient, cells + ((<usize>((cy * cellsX + cx) * CELL_STATS)) << 3), cy, cx);
    }
  }
}

function lumAt(lum: usize, p: i32): f64 {
  return <f64>load<f32>(lum + ((<usize>p) << 2));
}

/** Two adjacent brightness values from pixel `p` on, as float64. */
function lumPair(lum: usize, p: i32): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(lum + ((<usize>p) << 2)));
}

/** Local contrast (brightness minus its box mean) and gradient magnitude of image row `y`, written at `o` in the band. */
function contrastAndGradientRow(
  lum: usize,
  width: i32,
  height: i32,
  radius: i32,
  spanX: i32,
  boxWidth: usize,
  columnSums: usize,
  contrast: usize,
  gradient: usize,
  y: i32,
  o: i32,
): void {
  const beyond = width * height;
  const entering = y + radius < height ? (y + radius) * width : beyond;
  const leaving = y - radius - 1 >= 0 ? (y - radius - 1) * width : beyond;
  const boxHeight = min(height - 1, y + radius) + 1 - max(0, y - radius);
  const up = (y > 0 ? y - 1 : y) * width;
  const down = (y < height - 1 ? y + 1 : y) * width;
  const row = y * width;
  // Every column a box of this row reaches moves its sum down a row: the row entering the box in, the one leaving out.
  const lastColumn = min(width, spanX + radius);
  let x: i32 = 0;
  for (; x + 2 <= lastColumn; x += 2) {
    const sums = columnSums + ((<usize>x) << 3);
    v128.store(sums, f64x2.add(v128.load(sums), f64x2.sub(lumPair(lum, entering + x), lumPair(lum, leaving + x))));
  }
  for (; x < lastColumn; x++) {
    const sum = columnSums + ((<usize>x) << 3);
    store<f64>(sum, load<f64>(sum) + (lumAt(lum, entering + x) - lumAt(lum, leaving + x)));
  }
  // Columns near either end have a clipped box or a missing neighbour; those between, 2 at a time, have neither.
  const innerStart = min(spanX, radius + 1);
  const innerEnd = max(innerStart, min(spanX, min(width - radius, width - 1)));
  for (x = 0; x < innerStart; x++) edgeColumn(lum, width, radius, columnSums, boxWidth, contrast, gradient, x, o + x, row, up, down, boxHeight);
  const fullBox = f64x2.splat(<f64>(boxHeight * (2 * radius + 1)));
  for (x = innerStart; x + 2 <= innerEnd; x += 2) {
    let box = f64x2.splat(0);
    for (let k = x - radius; k <= x + radius; k++) box = f64x2.add(box, v128.load(columnSums + ((<usize>k) << 3)));
    const p = row + x;
    const at = (<usize>(o + x)) << 3;
    v128.store(contrast + at, f64x2.sub(lumPair(lum, p), f64x2.div(box, fullBox)));
    const dx = f64x2.sub(lumPair(lum, p + 1), lumPair(lum, p - 1));
    const dy = f64x2.sub(lumPair(lum, down + x), lumPair(lum, up + x));
    v128.store(gradient + at, f64x2.sqrt(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy))));
  }
  for (; x < spanX; x++) edgeColumn(lum, width, radius, columnSums, boxWidth, contrast, gradient, x, o + x, row, up, down, boxHeight);
}

/** Contrast and gradient of one pixel, with its box clipped at the image border and its neighbours clamped. */
function edgeColumn(
  lum: usize,
  width: i32,
  radius: i32,
  columnSums: usize,
  boxWidth: usize,
  contrast: usize,
  gradient: usize,
  x: i32,
  at: i32,
  row: i32,
  up: i32,
  down: i32,
  boxHeight: i32,
): void {
  let box: f64 = 0;
  for (let k = max(0, x - radius); k <= min(width - 1, x + radius); k++) box += load<f64>(columnSums + ((<usize>k) << 3));
  store<f64>(contrast + ((<usize>at) << 3), lumAt(lum, row + x) - box / <f64>(boxHeight * load<i32>(boxWidth + ((<usize>x) << 2))));
  const dx = lumAt(lum, row + (x < width - 1 ? x + 1 : x)) - lumAt(lum, row + (x > 0 ? x - 1 : x));
  const dy = lumAt(lum, down + x) - lumAt(lum, up + x);
  store<f64>(gradient + ((<usize>at) << 3), Math.sqrt(dx * dx + dy * dy));
}

/**
 * The statistics of cell (cx, cy) of the band, written at `out`. Brightness and gradient are summed pixel by pixel, row
 * by row and left to right: that order fixes the rounding of their squares' sums. Red−green and yellow−blue doubled are
 * integers, summed 4 pixels at a time; the extremes 2 or 4 at a time.
 */
function cellSums(
  rgb: usize,
  lum: usize,
  brightnessOfSum: usize,
  width: i32,
  cell: i32,
  spanX: i32,
  contrast: usize,
  gradient: usize,
  out: usize,
  cy: i32,
  cx: i32,
): void {
  let sL: f64 = 0;
  let sLL: f64 = 0;
  let sG: f64 = 0;
  let sGG: f64 = 0;
  let sA = i32x4.splat(0);
  let sAA = i32x4.splat(0);
  let sB2 = i32x4.splat(0);
  let sBB4 = i32x4.splat(0);
  let minSums = i32x4.splat(CHANNEL_SUMS - 1);
  let minC = f64x2.splat(Infinity);
  let maxC = f64x2.splat(-Infinity);
  // Red, green and blue of 4 pixels (12 bytes) as 32-bit lanes; an index of 16 or more gives 0.
  const reds = i8x16(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
  const greens = i8x16(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
  const blues = i8x16(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
  for (let y = cy * cell, o = cx * cell; y < (cy + 1) * cell; y++, o += spanX) {
    const first = y * width + cx * cell;
    for (let i: i32 = 0; i < cell; i++) {
      const l = lumAt(lum, first + i);
      const g = load<f64>(gradient + ((<usize>(o + i)) << 3));
      sL += l;
      sLL += l * l;
      sG += g;
      sGG += g * g;
    }
    let i: i32 = 0;
    for (; i + 4 <= cell; i += 4) {
      const pixels = v128.load(rgb + <usize>(first + i) * 3);
      const r = i8x16.swizzle(pixels, reds);
      const g = i8x16.swizzle(pixels, greens);
      const b = i8x16.swizzle(pixels, blues);
      const a = i32x4.sub(r, g);
      const yb2 = i32x4.sub(i32x4.add(r, g), i32x4.shl(b, 1));
      sA = i32x4.add(sA, a);
      sAA = i32x4.add(sAA, i32x4.mul(a, a));
      sB2 = i32x4.add(sB2, yb2);
      sBB4 = i32x4.add(sBB4, i32x4.mul(yb2, yb2));
      minSums = i32x4.min_s(minSums, i32x4.add(i32x4.add(r, g), b));
    }
    for (; i < cell; i++) {
      const q = rgb + <usize>(first + i) * 3;
      const r = <i32>load<u8>(q);
      const g = <i32>load<u8>(q, 1);
      const b = <i32>load<u8>(q, 2);
      const a = r - g;
      const yb2 = r + g - 2 * b;
      sA = i32x4.replace_lane(sA, 0, i32x4.extract_lane(sA, 0) + a);
      sAA = i32x4.replace_lane(sAA, 0, i32x4.extract_lane(sAA, 0) + a * a);
      sB2 = i32x4.replace_lane(sB2, 0, i32x4.extract_lane(sB2, 0) + yb2);
      sBB4 = i32x4.replace_lane(sBB4, 0, i32x4.extract_lane(sBB4, 0) + yb2 * yb2);
      minSums = i32x4.min_s(minSums, i32x4.splat(r + g + b));
    }
    i = 0;
    for (; i + 2 <= cell; i += 2) {
      const c = v128.load(contrast + ((<usize>(o + i)) << 3));
      minC = f64x2.pmin(minC, c);
      maxC = f64x2.pmax(maxC, c);
    }
    for (; i < cell; i++) {
      const c = f64x2.splat(load<f64>(contrast + ((<usize>(o + i)) << 3)));
      minC = f64x2.pmin(minC, c);
      maxC = f64x2.pmax(maxC, c);
    }
  }
  store<f64>(out, sL);
  store<f64>(out, sLL, 8);
  store<f64>(out, <f64>laneSum(sA), 16);
  store<f64>(out, <f64>laneSum(sAA), 24);
  store<f64>(out, <f64>laneSum(sB2) * 0.5, 32);
  store<f64>(out, <f64>laneSum(sBB4) * 0.25, 40);
  store<f64>(out, sG, 48);
  store<f64>(out, sGG, 56);
  const lowest = f64x2.extract_lane(minC, 1) < f64x2.extract_lane(minC, 0) ? f64x2.extract_lane(minC, 1) : f64x2.extract_lane(minC, 0);
  const highest = f64x2.extract_lane(maxC, 1) > f64x2.extract_lane(maxC, 0) ? f64x2.extract_lane(maxC, 1) : f64x2.extract_lane(maxC, 0);
  store<f64>(out, lowest, 64);
  store<f64>(out, highest, 72);
  // Brightness grows with R+G+B, so the darkest pixel is the one with the least R+G+B.
  const least = min(min(i32x4.extract_lane(minSums, 0), i32x4.extract_lane(minSums, 1)), min(i32x4.extract_lane(minSums, 2), i32x4.extract_lane(minSums, 3)));
  store<f64>(out, <f64>load<f32>(brightnessOfSum + ((<usize>least) << 2)), 80);
}

/** The sum of a vector's 4 lanes, in 64 bits. */
function laneSum(lanes: v128): i64 {
  return <i64>i32x4.extract_lane(lanes, 0) + <i64>i32x4.extract_lane(lanes, 1) + <i64>i32x4.extract_lane(lanes, 2) + <i64>i32x4.extract_lane(lanes, 3);
}

/**
 * One scale's descriptors of every patch (float32, `dims` per patch, this scale's VALUES_PER_SCALE from
 * `scaleIndex * VALUES_PER_SCALE`): means and spreads over the patch's cells, added row by row and left to right (the
 * order fixes the rounding), each value rounded to float32 before the gain, as it is stored.
 */
export function descriptorRows(
  cells: usize,
  cellsX: i32,
  cellsY: i32,
  cell: i32,
  gridWidth: i32,
  gridHeight: i32,
  dims: i32,
  gain: f64,
  values: usize,
  scale: i32,
  scaleIndex: i32,
  before: i32,
): void {
  for (let gy: i32 = 0; gy < gridHeight; gy++) {
    const y0 = max(0, gy - before);
    const y1 = min(cellsY, gy - before + scale);
    for (let gx: i32 = 0; gx < gridWidth; gx++) {
      const x0 = max(0, gx - before);
      const x1 = min(cellsX, gx - before + scale);
      // Each sum beside its sum of squares: (L, LL), (A, AA), (B, BB), (G, GG).
      let sL = f64x2.splat(0);
      let sA = f64x2.splat(0);
      let sB = f64x2.splat(0);
      let sG = f64x2.splat(0);
      let minC: f64 = Infinity;
      let maxC: f64 = -Infinity;
      let minL: f64 = Infinity;
      for (let cy = y0; cy < y1; cy++) {
        const end = cells + ((<usize>((cy * cellsX + x1) * CELL_STATS)) << 3);
        for (let k = cells + ((<usize>((cy * cellsX + x0) * CELL_STATS)) << 3); k < end; k += CELL_STATS * 8) {
          sL = f64x2.add(sL, v128.load(k));
          sA = f64x2.add(sA, v128.load(k, 16));
          sB = f64x2.add(sB, v128.load(k, 32));
          sG = f64x2.add(sG, v128.load(k, 48));
          const lowest = load<f64>(k, 64);
          const highest = load<f64>(k, 72);
          const darkest = load<f64>(k, 80);
          if (lowest < minC) minC = lowest;
          if (highest > maxC) maxC = highest;
          if (darkest < minL) minL = darkest;
        }
      }
      const count = <f64>((y1 - y0) * (x1 - x0) * cell * cell);
      const o = values + ((<usize>((gy * gridWidth + gx) * dims + scaleIndex * VALUES_PER_SCALE)) << 2);
      meanAndSpread(o, sL, count, gain);
      meanAndSpread(o + 8, sA, count, gain);
      meanAndSpread(o + 16, sB, count, gain);
      meanAndSpread(o + 24, sG, count, gain);
      store<f32>(o, <f32>(<f64>(<f32>minC) * gain), 32);
      store<f32>(o, <f32>(<f64>(<f32>maxC) * gain), 36);
      store<f32>(o, <f32>(<f64>(<f32>minL) * gain), 40);
    }
  }
}

/** Mean and standard deviation (0 where rounding makes the variance negative) from (sum, sum of squares), at `o`. */
function meanAndSpread(o: usize, sums: v128, count: f64, gain: f64): void {
  const mean = f64x2.extract_lane(sums, 0) / count;
  const spread = Math.sqrt(max<f64>(0, f64x2.extract_lane(sums, 1) / count - mean * mean));
  store<f32>(o, <f32>(<f64>(<f32>mean) * gain));
  store<f32>(o, <f32>(<f64>(<f32>spread) * gain), 4);
}
