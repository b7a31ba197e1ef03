/**
 * Greedy (farthest-point) coreset: repeatedly keep the descriptor farthest from everything kept so far.
 * Unlike random subsampling it keeps rare normal structures (marks, the wafer edge) that a few
 * patches carry, and its covering radius says how far any training patch is from the bank.
 * Deterministic: starts from the first row and breaks ties by lowest index.
 */
export function greedyCoreset(values: Float32Array, dims: number, target: number): { indices: number[]; radius: number } {
  const count = values.length / dims;
  if (!Number.isInteger(count) || count === 0) throw new Error('The coreset needs at least one descriptor');
  const size = Math.min(target, count);
  const nearest = new Float32Array(count).fill(Infinity);
  const indices: number[] = [];
  let next = 0;
  let radius = Infinity;
  while (indices.length < size) {
    indices.push(next);
    const co = next * dims;
    let farthest = -1;
    let farthestIndex = 0;
    for (let i = 0; i < count; i++) {
      const bound = nearest[i]!;
      const o = i * dims;
      let s = 0;
      // Stop summing once the new centre cannot come closer than the current nearest one.
      for (let d = 0; d < dims && s < bound; d++) {
        const diff = values[o + d]! - values[co + d]!;
        s += diff * diff;
      }
      const current = s < bound ? s : bound;
      nearest[i] = current;
      if (current > farthest) {
        farthest = current;
        farthestIndex = i;
      }
    }
    radius = Math.sqrt(farthest);
    next = farthestIndex;
  }
  return { indices, radius };
}
