import { NEAREST_NEIGHBOURS_WASM_BASE64 } from './nearest-neighbours-wasm';
import { align16, instantiateKernel, reserveKernelMemory, type KernelMemory } from './wasm-kernel';

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
 *
 * The search runs in WebAssembly (assembly/nearest-neighbours.ts), each bank in an instance of its own whose memory
 * holds the bank; sorting a row (the kernel gives its distances) and finding the axes stay here.
 */
export class MemoryBank {
  readonly size: number;
  readonly dims: number;
  private readonly entries: Float32Array;
  /** The search kernel (assembly/nearest-neighbours.ts), an instance of its own with this bank in its memory. */
  private readonly kernel: NearestNeighboursExports;
  /** Where each part of the bank is in the kernel's memory (byte offsets). */
  private readonly layout: BankLayout;
  /** Views of the kernel's memory, made again whenever it grows (growing detaches the old ones). */
  private views: BankViews;
  private readonly sortKeys: Float64Array;
  private axisCount = 0;
  private boundReady = false;

  constructor(entries: Float32Array, dims: number) {
    if (dims <= 0 || entries.length === 0 || entries.length % dims !== 0) throw new Error('A memory bank needs at least one entry of the given length');
    this.dims = dims;
    this.size = entries.length / dims;
    this.entries = entries;
    const n = this.size;
    if (n > 0xffff) throw new Error('A memory bank holds at most 65535 entries');
    this.sortKeys = new Float64Array(n);
    this.layout = bankLayout(n, dims);
    this.kernel = instantiateKernel<NearestNeighboursExports>(NEAREST_NEIGHBOURS_WASM_BASE64, {
      'nearest-neighbours': { sortRow: (row: number) => this.sortRow(row) },
    });
    this.views = this.viewsFitting(this.layout.queries);
    this.views.bytes.set(new Uint8Array(entries.buffer, entries.byteOffset, entries.byteLength), this.layout.entries);
    // Nothing else is computed here: loading a model (a cold start, a station switching to a model not yet loaded) runs
    // before the JIT has compiled this code. A row's distances are computed and sorted when the row is first a query's
    // pivot (a wafer uses about half the rows), the lower bound's axes and the entries' coordinates on them at the
    // first search.
  }

  /**
   * Bytes this bank holds in the kernel's memory: its entries, the room for its sorted rows (reserved at load, filled as
   * they are used) and the last search's queries and answers.
   */
  get residentBytes(): number {
    return this.kernel.memory.buffer.byteLength;
  }

  /** Views of the kernel's memory, grown first so it holds `bytes`. */
  private viewsFitting(bytes: number): BankViews {
    const { memory } = this.kernel;
    reserveKernelMemory(memory, bytes);
    if (this.views?.bytes.buffer === memory.buffer) return this.views;
    const { buffer } = memory;
    const n = this.size;
    const { order, sortedDistances, rowReady } = this.layout;
    this.views = {
      bytes: new Uint8Array(buffer),
      order: new Uint16Array(buffer, order, n * n),
      sortedDistances: new Float32Array(buffer, sortedDistances, n * n),
      rowReady: new Uint8Array(buffer, rowReady, n),
      rowDistances: new Float32Array(buffer, this.layout.rowDistances, n),
    };
    return this.views;
  }

  /** The lower bound's axes, from a sample of the entries, and every entry's coordinates on them: once, at the first search. */
  private prepareBound(): void {
    const axes = principalAxes(sampledCovariance(this.entries, this.dims, AXES_SAMPLE), this.dims, Math.min(BOUND_AXES, this.dims));
    this.axisCount = axes.length / this.dims;
    new Float64Array(this.kernel.memory.buffer, this.layout.axes, axes.length).set(axes);
    const { entries, projections } = this.layout;
    this.kernel.projectEntries(entries, this.size, this.dims, this.layout.axes, this.axisCount, projections);
    this.boundReady = true;
  }

  /**
   * Sort row i natively (called by the kernel the first time row i is a pivot): the key packs the distance's float32
   * bits (monotonic for non-negative floats) above the entry index, so ties break by index and the sort needs no
   * comparator.
   */
  private sortRow(i: number): void {
    const n = this.size;
    // d(i, j) as float32, computed by the kernel; the difference of two entries squares to the same bits in either order.
    this.kernel.distancesFrom(this.layout.entries, n, this.dims, i, this.layout.rowDistances);
    const { order, sortedDistances, rowReady, rowDistances } = this.viewsFitting(0);
    const bits = new Uint32Array(rowDistances.buffer, rowDistances.byteOffset, n);
    const keys = this.sortKeys;
    for (let j = 0; j < n; j++) keys[j] = bits[j]! * 65536 + j;
    keys.sort();
    for (let j = 0; j < n; j++) {
      const index = keys[j]! % 65536;
      order[i * n + j] = index;
      sortedDistances[i * n + j] = rowDistances[index]!;
    }
    rowReady[i] = 1;
  }

  /**
   * Euclidean distance from each query row (standardised, `dims` values each) to its nearest bank entry.
   * When the queries are the rows of a grid `gridWidth` patches wide (row-major), the match of the patch above
   * is tried as a pivot besides the match of the patch before; the distances are the same either way.
   */
  nearestDistances(queries: Float32Array, gridWidth = 0): Float32Array {
    if (!this.boundReady) this.prepareBound();
    const count = queries.length / this.dims;
    const at = this.layout.queries;
    const out = align16(at + queries.byteLength);
    const matches = align16(out + count * 4);
    const { bytes } = this.viewsFitting(matches + count * 2);
    bytes.set(new Uint8Array(queries.buffer, queries.byteOffset, queries.byteLength), at);
    const { entries, order, sortedDistances, rowReady, axes, projections, queryProjection } = this.layout;
    this.kernel.nearestDistances(
      entries,
      this.size,
      this.dims,
      order,
      sortedDistances,
      rowReady,
      axes,
      this.axisCount,
      projections,
      at,
      count,
      gridWidth,
      out,
      matches,
      queryProjection,
    );
    return new Float32Array(this.kernel.memory.buffer, out, count).slice();
  }
}

/** Where a bank's parts are in its kernel's memory (byte offsets); the queries and answers of a search go last. */
interface BankLayout {
  entries: number;
  order: number;
  sortedDistances: number;
  rowReady: number;
  /** One row of distances (float32), the row being sorted. */
  rowDistances: number;
  axes: number;
  projections: number;
  queryProjection: number;
  queries: number;
}

function bankLayout(n: number, dims: number): BankLayout {
  const entries = 0;
  const order = align16(entries + n * dims * 4);
  const sortedDistances = align16(order + n * n * 2);
  const rowReady = align16(sortedDistances + n * n * 4);
  const rowDistances = align16(rowReady + n);
  const axes = align16(rowDistances + n * 4);
  const projections = align16(axes + BOUND_AXES * dims * 8);
  const queryProjection = align16(projections + n * BOUND_AXES * 8);
  const queries = align16(queryProjection + BOUND_AXES * 8);
  return { entries, order, sortedDistances, rowReady, rowDistances, axes, projections, queryProjection, queries };
}

interface BankViews {
  bytes: Uint8Array;
  order: Uint16Array;
  sortedDistances: Float32Array;
  rowReady: Uint8Array;
  rowDistances: Float32Array;
}

/** The search kernel's exports (assembly/nearest-neighbours.ts); offsets are bytes into `memory`. */
interface NearestNeighboursExports {
  memory: KernelMemory;
  nearestDistances(
    entries: number,
    size: number,
    dims: number,
    order: number,
    sortedDistances: number,
    rowReady: number,
    axes: number,
    axisCount: number,
    projections: number,
    queries: number,
    count: number,
    gridWidth: number,
    out: number,
    matches: number,
    queryProjection: number,
  ): void;
  projectEntries(entries: number, size: number, dims: number, axes: number, axisCount: number, projections: number): void;
  distancesFrom(entries: number, size: number, dims: number, i: number, out: number): void;
}

/** Principal axes the lower bound uses: the first few carry most of the spread, and each costs `dims` multiplications per query. */
const BOUND_AXES = 6;
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
