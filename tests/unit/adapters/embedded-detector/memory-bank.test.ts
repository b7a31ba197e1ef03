import { describe, expect, it } from 'vitest';
import { MemoryBank } from '../../../../functions/adapters/embedded-detector/memory-bank';
import { seededRandom } from '../../../../detector/evaluation';
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

/** Brute-force nearest distances summed exactly as the bank sums them, as float32: for bit-for-bit comparison. */
function exactBruteForce(bank: Float32Array, queries: Float32Array, dims: number): Float32Array {
  return Float32Array.from({ length: queries.length / dims }, (_, q) => {
    let best = Infinity;
    for (let b = 0; b < bank.length / dims; b++) {
      let s = 0;
      for (let d = 0; d < dims; d++) {
        const diff = queries[q * dims + d]! - bank[b * dims + d]!;
        s += diff * diff;
      }
      best = Math.min(best, s);
    }
    return Math.sqrt(best);
  });
}

/**
 * Descriptors driven by a few hidden factors plus noise, correlated like patch descriptors (so the principal-axis
 * bound prunes): bank entries at random factors, and a grid of queries whose factors vary smoothly across it, like
 * neighbouring patches (so pivots are good and many entries come close to the best).
 */
function correlatedBankAndGrid(entryCount: number, gridWidth: number, gridHeight: number, dims: number): { entries: Float32Array; queries: Float32Array } {
  const random = seededRandom(21);
  const factors = 6;
  const loadings = Array.from({ length: factors * dims }, () => random() * 2 - 1);
  const row = (weights: number[]) =>
    Array.from({ length: dims }, (_, d) => weights.reduce((s, w, i) => s + w * loadings[i * dims + d]!, 0) + (random() - 0.5) * 0.4);
  const entries = Array.from({ length: entryCount }, () => row(Array.from({ length: factors }, (_, i) => (random() * 2 - 1) * 2 * 0.8 ** i)));
  const phases = Array.from({ length: factors }, () => random() * 6);
  const queries = Array.from({ length: gridWidth * gridHeight }, (_, q) =>
    row(
      Array.from(
        { length: factors },
        (_, i) => 2 * 0.8 ** i * Math.sin(phases[i]! + ((q % gridWidth) * (i + 1)) / 9 + (Math.floor(q / gridWidth) * (i + 2)) / 11),
      ),
    ),
  );
  return { entries: Float32Array.from(entries.flat()), queries: Float32Array.from(queries.flat()) };
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

  it('gives bit for bit the brute-force distances of a grid of correlated queries, pivoting on the patch above too', () => {
    // Prepare
    const dims = 22;
    const { entries, queries } = correlatedBankAndGrid(300, 30, 20, dims);
    const bank = new MemoryBank(entries, dims);

    // Act
    const onGrid = bank.nearestDistances(queries, 30);
    const inRows = bank.nearestDistances(queries);

    // Assess
    const expected = exactBruteForce(entries, queries, dims);
    expect(Array.from(onGrid)).toEqual(Array.from(expected));
    expect(Array.from(inRows)).toEqual(Array.from(expected));
  });

  it('searches a bank whose entries are all alike (no spread along any axis) as well', () => {
    // Prepare
    const entries = new Float32Array(10 * 4).fill(1.5);
    const queries = randomRows(12, 4, 3);
    const bank = new MemoryBank(entries, 4);

    // Act
    const distances = bank.nearestDistances(queries, 4);

    // Assess
    expect(Array.from(distances)).toEqual(Array.from(exactBruteForce(entries, queries, 4)));
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

  it('answers each bank from its own memory, exactly, when a later search holds more queries than the memory did', () => {
    // Prepare: two banks searched in turn, the second time with 20 times the queries (the kernel's memory grows while
    // rows of the bank are still unsorted, so sorting writes through the grown memory).
    const dims = 22;
    const first = correlatedBankAndGrid(200, 10, 5, dims);
    const second = { entries: randomRows(150, dims, 31), queries: randomRows(4000, dims, 32) };
    const firstBank = new MemoryBank(first.entries, dims);
    const secondBank = new MemoryBank(second.entries, dims);

    // Act
    const small = [firstBank.nearestDistances(first.queries, 10), secondBank.nearestDistances(second.queries.slice(0, 50 * dims))];
    const reservedBefore = secondBank.residentBytes;
    const large = secondBank.nearestDistances(second.queries);

    // Assess
    expect(Array.from(small[0]!)).toEqual(Array.from(exactBruteForce(first.entries, first.queries, dims)));
    expect(Array.from(small[1]!)).toEqual(Array.from(exactBruteForce(second.entries, second.queries.slice(0, 50 * dims), dims)));
    expect(Array.from(large)).toEqual(Array.from(exactBruteForce(second.entries, second.queries, dims)));
    expect(secondBank.residentBytes).toBeGreaterThan(reservedBefore);
  });

  it('counts the room its sorted rows take (6 bytes per pair of entries) among the bytes it holds from the start', () => {
    // Act
    const bank = new MemoryBank(randomRows(500, 22, 7), 22);

    // Assess: what a model cache must count for it, before any search.
    expect(bank.residentBytes).toBeGreaterThanOrEqual(500 * 500 * 6 + 500 * 22 * 4);
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
