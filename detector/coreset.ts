/**
 * Greedy (farthest-point) coreset: repeatedly keep the descriptor farthest from everything kept so far.
 * Unlike random subsampling it keeps rare normal structures (marks, the wafer edge) that a few
 * patches carry, and its covering radius says how far any training patch is from the bank.
 * Deterministic: starts from the first row and breaks ties by lowest index.
 *
 * Speed: a point whose nearest kept centre is at distance r cannot move to a new centre c unless
 * d(c, its centre) < 2r (triangle inequality), so most points are skipped with one comparison.
 */
export function greedyCoreset(values: Float32Array, dims: number, target: number): { indices: number[]; radius: number } {
  const count = values.length / dims;
  if (!Number.isInteger(count) || count === 0) throw new Error('The coreset needs at least one descriptor');
  const size = Math.min(target, count);
  const nearest = new Float64Array(count).fill(Infinity);
  const assigned = new Int32Array(count).fill(-1);
  const indices: number[] = [];
  const centreGap = new Float64Array(size);
  let next = 0;
  let radius = Infinity;
  while (indices.length < size) {
    const k = indices.length;
    indices.push(next);
    const co = next * dims;
    for (let j = 0; j < k; j++) centreGap[j] = Math.sqrt(squared(values, co, indices[j]! * dims, dims, Infinity));
    let farthest = -1;
    let farthestIndex = 0;
    for (let i = 0; i < count; i++) {
      let current = nearest[i]!;
      const a = assigned[i]!;
      if (a < 0 || centreGap[a]! < 2 * current) {
        const bound = current * current;
        const s = squared(values, i * dims, co, dims, bound);
        if (s < bound) {
          current = Math.sqrt(s);
          nearest[i] = current;
          assigned[i] = k;
        }
      }
      if (current > farthest) {
        farthest = current;
        farthestIndex = i;
      }
    }
    radius = farthest;
    next = farthestIndex;
  }
  return { indices, radius };
}

/** Squared distance between two rows of `values`, abandoned once it reaches `bound`. */
function squared(values: Float32Array, ao: number, bo: number, dims: number, bound: number): number {
  let s = 0;
  for (let d = 0; d < dims; d++) {
    const diff = values[ao + d]! - values[bo + d]!;
    s += diff * diff;
    if (s >= bound) return s;
  }
  return s;
}
