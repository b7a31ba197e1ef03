/**
 * The memory bank of normal patch descriptors (already standardised), searched for each patch's nearest neighbour.
 *
 * Exact search, pruned with the triangle inequality: every entry gets (when first needed) the list of all entries
 * sorted by their distance to it. A query starts from a pivot (the previous patch's match: neighbouring
 * patches look alike), and only entries c with |d(pivot, c) − d(query, pivot)| < best can beat the best
 * distance so far, so it walks the pivot's list outwards from d(query, pivot) and stops early. A greedy
 * coreset keeps bank entries far apart, so few fall in that window. Partial distances are abandoned once
 * they exceed the best. Both cuts are exact: the answer equals a brute-force search.
 */
export class MemoryBank {
  readonly size: number;
  readonly dims: number;
  private readonly entries: Float32Array;
  /** Row i: entry indices sorted by distance to entry i (filled when row i is first a pivot). */
  private readonly order: Uint16Array;
  /** Row i: those distances, ascending (filled with `order`). */
  private readonly sortedDistances: Float32Array;
  /** All pairwise distances, row-major. */
  private readonly distances: Float32Array;
  /** 1 where row i of `order` and `sortedDistances` is filled. */
  private readonly rowReady: Uint8Array;
  private readonly sortKeys: Float64Array;

  constructor(entries: Float32Array, dims: number) {
    if (dims <= 0 || entries.length === 0 || entries.length % dims !== 0) throw new Error('A memory bank needs at least one entry of the given length');
    this.dims = dims;
    this.size = entries.length / dims;
    this.entries = entries;
    const n = this.size;
    if (n > 0xffff) throw new Error('A memory bank holds at most 65535 entries');
    const distances = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = Math.sqrt(squaredDistance(entries, i * dims, entries, j * dims, dims, Infinity));
        distances[i * n + j] = d;
        distances[j * n + i] = d;
      }
    }
    this.distances = distances;
    this.order = new Uint16Array(n * n);
    this.sortedDistances = new Float32Array(n * n);
    this.rowReady = new Uint8Array(n);
    this.sortKeys = new Float64Array(n);
    // Rows are sorted when first needed (a query's pivot), not here: loading a model (a cold start, a station
    // switching to a model not yet loaded) then costs the distances only, and a wafer uses about half the rows.
  }

  /**
   * Sort row i natively: the key packs the distance's float32 bits (monotonic for non-negative floats) above the
   * entry index, so ties break by index and the sort needs no comparator.
   */
  private sortRow(i: number): void {
    const n = this.size;
    const bits = new Uint32Array(this.distances.buffer, this.distances.byteOffset + i * n * 4, n);
    const keys = this.sortKeys;
    for (let j = 0; j < n; j++) keys[j] = bits[j]! * 65536 + j;
    keys.sort();
    for (let j = 0; j < n; j++) {
      const index = keys[j]! % 65536;
      this.order[i * n + j] = index;
      this.sortedDistances[i * n + j] = this.distances[i * n + index]!;
    }
    this.rowReady[i] = 1;
  }

  /** Euclidean distance from each query row (standardised, `dims` values each) to its nearest bank entry. */
  nearestDistances(queries: Float32Array): Float32Array {
    const { dims, size, entries, order, sortedDistances } = this;
    const count = queries.length / dims;
    const out = new Float32Array(count);
    let pivot = 0;
    for (let q = 0; q < count; q++) {
      const qo = q * dims;
      let best = squaredDistance(queries, qo, entries, pivot * dims, dims, Infinity);
      let bestIndex = pivot;
      if (!this.rowReady[pivot]) this.sortRow(pivot);
      const toPivot = Math.sqrt(best);
      const row = pivot * size;
      // First position in the pivot's sorted row whose distance is at least d(query, pivot).
      let lo = row;
      let hi = row + size;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sortedDistances[mid]! < toPivot) lo = mid + 1;
        else hi = mid;
      }
      let up = lo;
      let down = lo - 1;
      const end = row + size;
      while (up < end || down >= row) {
        if (up < end) {
          const gap = sortedDistances[up]! - toPivot;
          if (gap * gap >= best) up = end;
          else {
            const c = order[up]!;
            const d = squaredDistance(queries, qo, entries, c * dims, dims, best);
            if (d < best) {
              best = d;
              bestIndex = c;
            }
            up++;
          }
        }
        if (down >= row) {
          const gap = toPivot - sortedDistances[down]!;
          if (gap * gap >= best) down = row - 1;
          else {
            const c = order[down]!;
            const d = squaredDistance(queries, qo, entries, c * dims, dims, best);
            if (d < best) {
              best = d;
              bestIndex = c;
            }
            down--;
          }
        }
      }
      pivot = bestIndex;
      out[q] = Math.sqrt(best);
    }
    return out;
  }
}

/** Squared distance, abandoned (returning a value ≥ bound) as soon as it cannot beat `bound`. */
function squaredDistance(a: Float32Array, ao: number, b: Float32Array, bo: number, dims: number, bound: number): number {
  let s = 0;
  for (let d = 0; d < dims; d++) {
    const diff = a[ao + d]! - b[bo + d]!;
    s += diff * diff;
    if (s >= bound) return s;
  }
  return s;
}
