import { describe, expect, it } from 'vitest';
import { MemoryBank } from '../../../../functions/adapters/embedded-detector/memory-bank';
import { randomRows } from './helpers';

function bruteForce(bank: Float32Array, queries: Float32Array, dims: number): number[] {
  const out: number[] = [];
  for (let q = 0; q < queries.length / dims; q++) {
    let best = Infinity;
    for (let b = 0; b < bank.length / dims; b++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += (queries[q * dims + d]! - bank[b * dims + d]!) ** 2;
      best = Math.min(best, s);
    }
    out.push(Math.sqrt(best));
  }
  return out;
}

describe('MemoryBank', () => {
  it('finds exactly the brute-force nearest distance despite its pruning', () => {
    // Prepare
    const dims = 22;
    const entries = randomRows(300, dims, 11);
    const queries = randomRows(500, dims, 12);
    const bank = new MemoryBank(entries, dims);

    // Act
    const distances = bank.nearestDistances(queries);

    // Assess
    const expected = bruteForce(entries, queries, dims);
    distances.forEach((d, i) => expect(d).toBeCloseTo(expected[i]!, 5));
  });

  it('gives zero for a query equal to an entry', () => {
    // Prepare
    const entries = randomRows(20, 5, 2);
    const bank = new MemoryBank(entries, 5);

    // Act
    const distances = bank.nearestDistances(entries.slice(35, 40));

    // Assess
    expect(distances[0]).toBe(0);
  });

  it('refuses an empty or ragged bank', () => {
    // Prepare
    const ragged = new Float32Array(7);

    // Act
    const build = () => new MemoryBank(ragged, 3);

    // Assess
    expect(build).toThrow(/at least one entry/);
    expect(() => new MemoryBank(new Float32Array(0), 3)).toThrow(/at least one entry/);
  });
});
