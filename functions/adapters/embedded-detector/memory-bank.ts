/**
 * The memory bank of normal patch descriptors (already standardised), searched for each patch's nearest neighbour.
 *
 * Exact search, pruned with the triangle inequality: every entry gets (when first needed) the list of all entries
 * sorted by their distance to it. A query starts from a pivot (the match of the patch before it or of the patch
 * above it, whichever is closer: neighbouring patches look alike), and only entries c with
 * |d(pivot, c) − d(query, pivot)| < best can beat the best distance so far, so it walks the pivot's list outwards
 * from d(query, pivot) and stops early. A greedy coreset keeps bank entries far apart, so few fall in that window.
 *
 * Each entry in the window is first checked against a lower bound of its distance: its distance along the bank's
 * first principal axes (the query's coordinates on them against the entry's, kept once computed). The descriptors
 * are strongly correlated, so a few axes carry most of every distance and turn most entries away for a handful of
 * multiplications. Partial distances are abandoned once they exceed the best. All the cuts are exact: the answer
 * equals a brute-force search, and every distance it returns is summed as that search sums it.
 */
export class MemoryBank {
  readonly size: number;
  readonly dims: number;
  private readonly entries: Float32Array;
  /** Row i: entry indices sorted by distance to entry i (filled when row i is first a pivot). */
  private readonly order: Uint16Array;
  /** Row i: those distances, ascending (filled with `order`). */
  private readonly sortedDistances: Float32Array;
  /** One row of distances (float32, as stored), the row being sorted. */
  private readonly rowDistances: Float32Array;
  /** 1 where row i of `order` and `sortedDistances` is filled. */
  private readonly rowReady: Uint8Array;
  private readonly sortKeys: Float64Array;
  /** Orthonormal directions of largest spread of the bank, `dims` values each: the lower bound's axes (first search). */
  private axes: Float64Array = new Float64Array(0);
  private axisCount = 0;
  private boundReady = false;
  /** Row i: entry i's coordinates along `axes`. */
  private projections: Float64Array = new Float64Array(0);
  /** 1 where row i of `projections` is filled. */
  private readonly projected: Uint8Array;

  constructor(entries: Float32Array, dims: number) {
    if (dims <= 0 || entries.length === 0 || entries.length % dims !== 0) throw new Error('A memory bank needs at least one entry of the given length');
    this.dims = dims;
    this.size = entries.length / dims;
    this.entries = entries;
    const n = this.size;
    if (n > 0xffff) throw new Error('A memory bank holds at most 65535 entries');
    this.order = new Uint16Array(n * n);
    this.sortedDistances = new Float32Array(n * n);
    this.rowDistances = new Float32Array(n);
    this.rowReady = new Uint8Array(n);
    this.sortKeys = new Float64Array(n);
    this.projected = new Uint8Array(n);
    // Nothing is computed here: loading a model (a cold start, a station switching to a model not yet loaded) runs
    // before the JIT has compiled this code. A row's distances are computed and sorted when the row is first a query's
    // pivot (a wafer uses about half the rows), the lower bound's axes at the first search, and an entry's projection
    // on them when a search first meets it.
  }

  /** The lower bound's axes, from a sample of the entries: once, at the first search. */
  private prepareBound(): void {
    this.axes = principalAxes(sampledCovariance(this.entries, this.dims, AXES_SAMPLE), this.dims, Math.min(BOUND_AXES, this.dims));
    this.axisCount = this.axes.length / this.dims;
    this.projections = new Float64Array(this.size * this.axisCount);
    this.boundReady = true;
  }

  /**
   * Sort row i natively: the key packs the distance's float32 bits (monotonic for non-negative floats) above the
   * entry index, so ties break by index and the sort needs no comparator.
   */
  private sortRow(i: number): void {
    const { size: n, dims, entries, rowDistances } = this;
    // d(i, j) as float32; the difference of two entries squares to the same bits in either order.
    for (let j = 0; j < n; j++) rowDistances[j] = j === i ? 0 : Math.sqrt(squaredDistance(entries, i * dims, entries, j * dims, dims, Infinity));
    const bits = new Uint32Array(rowDistances.buffer, rowDistances.byteOffset, n);
    const keys = this.sortKeys;
    for (let j = 0; j < n; j++) keys[j] = bits[j]! * 65536 + j;
    keys.sort();
    for (let j = 0; j < n; j++) {
      const index = keys[j]! % 65536;
      this.order[i * n + j] = index;
      this.sortedDistances[i * n + j] = rowDistances[index]!;
    }
    this.rowReady[i] = 1;
  }

  /** Fill row i of `projections`. */
  private projectEntry(i: number): void {
    project(this.entries, i * this.dims, this.dims, this.axes, this.axisCount, this.projections, i * this.axisCount);
    this.projected[i] = 1;
  }

  /**
   * Euclidean distance from each query row (standardised, `dims` values each) to its nearest bank entry.
   * When the queries are the rows of a grid `gridWidth` patches wide (row-major), the match of the patch above
   * is tried as a pivot besides the match of the patch before; the distances are the same either way.
   */
  nearestDistances(queries: Float32Array, gridWidth = 0): Float32Array {
    if (!this.boundReady) this.prepareBound();
    const { dims, size, entries, order, sortedDistances, projections, projected, axisCount } = this;
    const count = queries.length / dims;
    const out = new Float32Array(count);
    const matches = new Uint16Array(count);
    const queryProjection = new Float64Array(axisCount);
    const cheapAxes = Math.min(CHEAP_BOUND_AXES, axisCount);
    let pivot = 0;
    for (let q = 0; q < count; q++) {
      const qo = q * dims;
      let best = squaredDistance(queries, qo, entries, pivot * dims, dims, Infinity);
      const above = gridWidth > 0 && q >= gridWidth ? matches[q - gridWidth]! : pivot;
      if (above !== pivot) {
        const d = squaredDistance(queries, qo, entries, above * dims, dims, best);
        if (d < best) {
          best = d;
          pivot = above;
        }
      }
      let bestIndex = pivot;
      // A query equal to its pivot (the black surround, patch after patch) has nothing left to search.
      if (best > 0) {
        project(queries, qo, dims, this.axes, axisCount, queryProjection, 0);
        if (!this.rowReady[pivot]) this.sortRow(pivot);
        const toPivot = Math.sqrt(best);
        const row = pivot * size;
        const end = row + size;
        // First position in the pivot's sorted row whose distance is at least d(query, pivot).
        let lo = row;
        let hi = end;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sortedDistances[mid]! < toPivot) lo = mid + 1;
          else hi = mid;
        }
        // Outwards on each side, until the gap to d(query, pivot) alone rules out the rest of that side.
        for (let i = lo; i < end; i++) {
          const gap = sortedDistances[i]! - toPivot;
          if (gap * gap >= best) break;
          const c = order[i]!;
          if (!projected[c]) this.projectEntry(c);
          if (mayBeCloser(queryProjection, projections, c * axisCount, cheapAxes, axisCount, best)) {
            const d = squaredDistance(queries, qo, entries, c * dims, dims, best);
            if (d < best) {
              best = d;
              bestIndex = c;
            }
          }
        }
        for (let i = lo - 1; i >= row; i--) {
          const gap = toPivot - sortedDistances[i]!;
          if (gap * gap >= best) break;
          const c = order[i]!;
          if (!projected[c]) this.projectEntry(c);
          if (mayBeCloser(queryProjection, projections, c * axisCount, cheapAxes, axisCount, best)) {
            const d = squaredDistance(queries, qo, entries, c * dims, dims, best);
            if (d < best) {
              best = d;
              bestIndex = c;
            }
          }
        }
      }
      pivot = bestIndex;
      matches[q] = bestIndex;
      out[q] = Math.sqrt(best);
    }
    return out;
  }
}

/** Principal axes the lower bound uses: the first few carry most of the spread, and each costs `dims` multiplications per query. */
const BOUND_AXES = 6;
/** Axes checked before the rest: most entries are turned away by these already. */
const CHEAP_BOUND_AXES = 3;
/**
 * Relative and absolute margin by which a lower bound must exceed the best squared distance to rule an entry out.
 * It covers the rounding of the projections (about 1e-15 of the descriptors' size) many times over, so rounding
 * never rules out an entry a brute-force search would pick; it costs nothing measurable in pruning.
 */
const BOUND_MARGIN = 1e-6;

/**
 * False when the entry's squared distance along the principal axes (a lower bound of its squared distance: the
 * axes are orthonormal) already exceeds `best`, so the entry cannot be closer; the cheap axes are summed first.
 */
function mayBeCloser(query: Float64Array, projections: Float64Array, offset: number, cheapAxes: number, axisCount: number, best: number): boolean {
  const limit = best * (1 + BOUND_MARGIN) + BOUND_MARGIN;
  let bound = 0;
  let axis = 0;
  for (; axis < cheapAxes; axis++) {
    const gap = query[axis]! - projections[offset + axis]!;
    bound += gap * gap;
  }
  if (bound > limit) return false;
  for (; axis < axisCount; axis++) {
    const gap = query[axis]! - projections[offset + axis]!;
    bound += gap * gap;
  }
  return bound <= limit;
}

/** Coordinates of row `vo` of `rows` along each of the `axisCount` axes (`dims` values each), written to `out` from `oo`. */
function project(rows: Float32Array, vo: number, dims: number, axes: Float64Array, axisCount: number, out: Float64Array, oo: number): void {
  for (let axis = 0; axis < axisCount; axis++) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += rows[vo + d]! * axes[axis * dims + d]!;
    out[oo + axis] = s;
  }
}

/**
 * Entries the principal axes are estimated from (spread evenly over the bank). The axes only need to point where the
 * bank spreads most: on the wafer banks, more entries or more power iterations prune no better, and both cost every
 * model load, which runs before the JIT has compiled this code.
 */
const AXES_SAMPLE = 64;

/** The covariance matrix (`dims` × `dims`, row-major) of up to `sample` rows spread evenly over `rows`. */
function sampledCovariance(rows: Float32Array, dims: number, sample: number): Float64Array {
  const n = rows.length / dims;
  const step = Math.ceil(n / sample);
  const count = Math.ceil(n / step);
  const sums = new Float64Array(dims);
  // Sums of products, upper triangle: the matrix is symmetric.
  const products = new Float64Array(dims * dims);
  for (let i = 0; i < n; i += step) {
    for (let a = 0; a < dims; a++) {
      const x = rows[i * dims + a]!;
      sums[a]! += x;
      for (let b = a; b < dims; b++) products[a * dims + b]! += x * rows[i * dims + b]!;
    }
  }
  const covariance = new Float64Array(dims * dims);
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) {
      const c = products[a * dims + b]! / count - (sums[a]! / count) * (sums[b]! / count);
      covariance[a * dims + b] = c;
      covariance[b * dims + a] = c;
    }
  }
  return covariance;
}

/** Power iterations per axis (see AXES_SAMPLE). */
const POWER_ITERATIONS = 4;

/**
 * Up to `count` orthonormal directions of largest variance (principal axes) of a covariance matrix, by power
 * iteration with each axis kept orthogonal to the ones before. Only the bound's tightness depends on how well they
 * converge, never its correctness. Stops early when nothing is left to spread along in the remaining directions.
 */
function principalAxes(covariance: Float64Array, dims: number, count: number): Float64Array {
  const axes = new Float64Array(count * dims);
  const v = new Float64Array(dims);
  const w = new Float64Array(dims);
  for (let axis = 0; axis < count; axis++) {
    v.fill(1);
    for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
      for (let a = 0; a < dims; a++) {
        let s = 0;
        for (let b = 0; b < dims; b++) s += covariance[a * dims + b]! * v[b]!;
        w[a] = s;
      }
      for (let previous = 0; previous < axis; previous++) {
        let dot = 0;
        for (let d = 0; d < dims; d++) dot += w[d]! * axes[previous * dims + d]!;
        for (let d = 0; d < dims; d++) w[d]! -= dot * axes[previous * dims + d]!;
      }
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += w[d]! * w[d]!;
      norm = Math.sqrt(norm);
      if (!(norm > 1e-12)) return axes.slice(0, axis * dims);
      for (let d = 0; d < dims; d++) v[d] = w[d]! / norm;
    }
    axes.set(v, axis * dims);
  }
  return axes;
}

/**
 * Squared distance, abandoned (returning a value ≥ bound) once it cannot beat `bound`. The bound is checked every
 * four dimensions rather than after each: the sum is the same either way, and an abandoned one is only compared with
 * the bound, so this changes no answer and takes three branches in four out of the hottest loop.
 */
function squaredDistance(a: Float32Array, ao: number, b: Float32Array, bo: number, dims: number, bound: number): number {
  let s = 0;
  let d = 0;
  for (; d + 4 <= dims; d += 4) {
    const d0 = a[ao + d]! - b[bo + d]!;
    const d1 = a[ao + d + 1]! - b[bo + d + 1]!;
    const d2 = a[ao + d + 2]! - b[bo + d + 2]!;
    const d3 = a[ao + d + 3]! - b[bo + d + 3]!;
    s += d0 * d0;
    s += d1 * d1;
    s += d2 * d2;
    s += d3 * d3;
    if (s >= bound) return s;
  }
  for (; d < dims; d++) {
    const diff = a[ao + d]! - b[bo + d]!;
    s += diff * diff;
  }
  return s;
}
