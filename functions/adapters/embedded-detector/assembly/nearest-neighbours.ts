/*
 * The memory bank's exact nearest-neighbour search in WebAssembly (AssemblyScript, compiled by
 * `npm run build:kernels` into ../nearest-neighbours-wasm.ts; the build is checked by a test). memory-bank.ts
 * says how the search prunes and why each cut is exact; this is the same search, step for step.
 *
 * Why by hand: an exact search whose distances are summed as a brute-force search sums them (the model's threshold was
 * calibrated on those bits) is what no nearest-neighbour library offers; approximate indexes answer other distances.
 * Why WebAssembly: after the patch statistics, the search is the inspection's largest CPU cost, most of all on
 * defective wafers, whose patches are far from every normal one and prune worst.
 *
 * Every float operation is the one the JavaScript search it replaced did (float32 values widened to float64, sums in the
 * same order), so the distances are bit for bit a brute-force search's, as they were. A bank row is sorted by the host
 * (`sortRow`, imported) the first time it is a query's pivot: the sort stays in JavaScript, which has one.
 */

/** Sort row `i` of the bank (its `order` and `sortedDistances` rows), and mark it ready: imported from memory-bank.ts. */
declare function sortRow(i: i32): void;

/**
 * Euclidean distance (float32, to `out`) from each of `count` queries to its nearest bank entry, and that entry (uint16,
 * to `matches`). Queries are rows of a grid `gridWidth` patches wide (row-major; 0: no grid): the match of the patch
 * above is tried as a pivot besides the match of the patch before. Every argument but the sizes is a byte offset into
 * this module's memory: the bank's entries, its sorted rows, the lower bound's axes and the entries' coordinates on them
 * (projectEntries).
 */
export function nearestDistances(
  entries: usize,
  size: i32,
  dims: i32,
  order: usize,
  sortedDistances: usize,
  rowReady: usize,
  axes: usize,
  axisCount: i32,
  projections: usize,
  queries: usize,
  count: i32,
  gridWidth: i32,
  out: usize,
  matches: usize,
  queryProjection: usize,
): void {
  const cheapAxes = min(CHEAP_BOUND_AXES, axisCount);
  let pivot: i32 = 0;
  for (let q: i32 = 0; q < count; q++) {
    const query = queries + ((<usize>(q * dims)) << 2);
    let best = squaredDistance(query, entries + ((<usize>(pivot * dims)) << 2), dims, Infinity);
    const above = gridWidth > 0 && q >= gridWidth ? <i32>load<u16>(matches + ((<usize>(q - gridWidth)) << 1)) : pivot;
    if (above != pivot) {
      const d = squaredDistance(query, entries + ((<usize>(above * dims)) << 2), dims, best);
      if (d < best) {
        best = d;
        pivot = above;
      }
    }
    let bestIndex = pivot;
    // A query equal to its pivot (the black surround, patch after patch) has nothing left to search.
    if (best > 0) {
      project(query, dims, axes, axisCount, queryProjection);
      if (!load<u8>(rowReady + <usize>pivot)) sortRow(pivot);
      const toPivot = Math.sqrt(best);
      const row = <usize>pivot * <usize>size;
      const end = row + <usize>size;
      // First position in the pivot's sorted row whose distance is at least d(query, pivot).
      let lo = row;
      let hi = end;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (<f64>load<f32>(sortedDistances + (mid << 2)) < toPivot) lo = mid + 1;
        else hi = mid;
      }
      // Outwards on each side, until the gap to d(query, pivot) alone rules out the rest of that side.
      for (let i = lo; i < end; i++) {
        const gap = <f64>load<f32>(sortedDistances + (i << 2)) - toPivot;
        if (gap * gap >= best) break;
        const c = <i32>load<u16>(order + (i << 1));
        if (mayBeCloser(queryProjection, projections + ((<usize>(c * axisCount)) << 3), cheapAxes, axisCount, best)) {
          const d = squaredDistance(query, entries + ((<usize>(c * dims)) << 2), dims, best);
          if (d < best) {
            best = d;
            bestIndex = c;
          }
        }
      }
      for (let i = <isize>lo - 1; i >= <isize>row; i--) {
        const gap = toPivot - <f64>load<f32>(sortedDistances + ((<usize>i) << 2));
        if (gap * gap >= best) break;
        const c = <i32>load<u16>(order + ((<usize>i) << 1));
        if (mayBeCloser(queryProjection, projections + ((<usize>(c * axisCount)) << 3), cheapAxes, axisCount, best)) {
          const d = squaredDistance(query, entries + ((<usize>(c * dims)) << 2), dims, best);
          if (d < best) {
            best = d;
            bestIndex = c;
          }
        }
      }
    }
    pivot = bestIndex;
    store<u16>(matches + ((<usize>q) << 1), <u16>bestIndex);
    store<f32>(out + ((<usize>q) << 2), <f32>Math.sqrt(best));
  }
}

/**
 * Distance (float32, to `out`) from entry `i` to every entry, 0 to itself: the row the host sorts (its first use as a
 * pivot). Summed as the search sums a distance, so a row's order agrees with the distances the search compares.
 */
export function distancesFrom(entries: usize, size: i32, dims: i32, i: i32, out: usize): void {
  const from = entries + ((<usize>(i * dims)) << 2);
  for (let j: i32 = 0; j < size; j++) {
    const d = j == i ? 0 : Math.sqrt(squaredDistance(from, entries + ((<usize>(j * dims)) << 2), dims, Infinity));
    store<f32>(out + ((<usize>j) << 2), <f32>d);
  }
}

/** Axes checked before the rest: most entries are turned away by these already. */
const CHEAP_BOUND_AXES: i32 = 3;
/**
 * Relative and absolute margin by which a lower bound must exceed the best squared distance to rule an entry out.
 * It covers the rounding of the projections (about 1e-15 of the descriptors' size) many times over, so rounding
 * never rules out an entry a brute-force search would pick; it costs nothing measurable in pruning.
 */
const BOUND_MARGIN: f64 = 1e-6;

/**
 * False when an entry's squared distance along the principal axes (a lower bound of its squared distance: the axes are
 * orthonormal) already exceeds `best`, so it cannot be closer; the cheap axes are summed first. Two axes at a time: the
 * bound's rounding is covered by BOUND_MARGIN whatever the order of its sum.
 */
function mayBeCloser(query: usize, coordinates: usize, cheapAxes: i32, axisCount: i32, best: f64): bool {
  const limit = best * (1 + BOUND_MARGIN) + BOUND_MARGIN;
  let squares = f64x2.splat(0);
  let axis: i32 = 0;
  for (; axis + 2 <= cheapAxes; axis += 2) {
    const gaps = f64x2.sub(v128.load(query + ((<usize>axis) << 3)), v128.load(coordinates + ((<usize>axis) << 3)));
    squares = f64x2.add(squares, f64x2.mul(gaps, gaps));
  }
  let bound = f64x2.extract_lane(squares, 0) + f64x2.extract_lane(squares, 1);
  for (; axis < cheapAxes; axis++) {
    const gap = load<f64>(query + ((<usize>axis) << 3)) - load<f64>(coordinates + ((<usize>axis) << 3));
    bound += gap * gap;
  }
  if (bound > limit) return false;
  for (; axis < axisCount; axis++) {
    const gap = load<f64>(query + ((<usize>axis) << 3)) - load<f64>(coordinates + ((<usize>axis) << 3));
    bound += gap * gap;
  }
  return bound <= limit;
}

/** Every entry's coordinates along the axes (`axisCount` float64 per entry, to `projections`): once, at the first search. */
export function projectEntries(entries: usize, size: i32, dims: i32, axes: usize, axisCount: i32, projections: usize): void {
  for (let c: i32 = 0; c < size; c++) {
    project(entries + ((<usize>(c * dims)) << 2), dims, axes, axisCount, projections + ((<usize>(c * axisCount)) << 3));
  }
}

/** Coordinates of a row (`dims` float32) along each of the `axisCount` axes (`dims` float64 each), written to `out`. */
function project(row: usize, dims: i32, axes: usize, axisCount: i32, out: usize): void {
  for (let axis: i32 = 0; axis < axisCount; axis++) {
    const direction = axes + ((<usize>(axis * dims)) << 3);
    let s: f64 = 0;
    for (let d: i32 = 0; d < dims; d++) s += <f64>load<f32>(row + ((<usize>d) << 2)) * load<f64>(direction + ((<usize>d) << 3));
    store<f64>(out + ((<usize>axis) << 3), s);
  }
}

/**
 * Squared distance between two rows of `dims` float32, summed dimension by dimension, abandoned (returning a value ≥
 * bound) once it cannot beat `bound`, checked every four dimensions. Two differences and squares at a time; the sum
 * takes them one after the other.
 */
function squaredDistance(a: usize, b: usize, dims: i32, bound: f64): f64 {
  let s: f64 = 0;
  let d: i32 = 0;
  for (; d + 4 <= dims; d += 4) {
    const at = (<usize>d) << 2;
    const low = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(a + at)), f64x2.promote_low_f32x4(v128.load64_zero(b + at)));
    const high = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(a + at + 8)), f64x2.promote_low_f32x4(v128.load64_zero(b + at + 8)));
    const lowSquares = f64x2.mul(low, low);
    const highSquares = f64x2.mul(high, high);
    s += f64x2.extract_lane(lowSquares, 0);
    s += f64x2.extract_lane(lowSquares, 1);
    s += f64x2.extract_lane(highSquares, 0);
    s += f64x2.extract_lane(highSquares, 1);
    if (s >= bound) return s;
  }
  for (; d < dims; d++) {
    const difference = <f64>load<f32>(a + ((<usize>d) << 2)) - <f64>load<f32>(b + ((<usize>d) << 2));
    s += difference * difference;
  }
  return s;
}
