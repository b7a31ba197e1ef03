import { describe, expect, it } from 'vitest';
import { greedyCoreset } from '../../../detector/coreset';
import { randomRows } from '../adapters/embedded-detector/helpers';

function distance(values: Float32Array, dims: number, a: number, b: number): number {
  let s = 0;
  for (let d = 0; d < dims; d++) s += (values[a * dims + d]! - values[b * dims + d]!) ** 2;
  return Math.sqrt(s);
}

describe('greedyCoreset', () => {
  it('keeps one point of every cluster, rare ones included, before a second point of any cluster', () => {
    // Prepare: 3 clusters in 2-D, one of them a single rare point.
    const points: number[] = [];
    for (let i = 0; i < 50; i++) points.push(0 + (i % 5) * 0.01, 0 + Math.floor(i / 5) * 0.01);
    for (let i = 0; i < 50; i++) points.push(10 + (i % 5) * 0.01, 0 + Math.floor(i / 5) * 0.01);
    points.push(5, 8);
    const values = Float32Array.from(points);

    // Act
    const { indices } = greedyCoreset(values, 2, 3);

    // Assess
    const clusterOf = (i: number) => (i < 50 ? 'a' : i < 100 ? 'b' : 'rare');
    expect(new Set(indices.map(clusterOf))).toEqual(new Set(['a', 'b', 'rare']));
  });

  it('reports the covering radius: the largest distance from any point to its nearest kept point', () => {
    // Prepare
    const dims = 6;
    const values = randomRows(400, dims, 7);

    // Act
    const { indices, radius } = greedyCoreset(values, dims, 40);

    // Assess
    let worst = 0;
    for (let i = 0; i < 400; i++) worst = Math.max(worst, Math.min(...indices.map((k) => distance(values, dims, i, k))));
    expect(indices).toHaveLength(40);
    expect(new Set(indices).size).toBe(40);
    expect(radius).toBeCloseTo(worst, 4);
  });

  it('is deterministic and picks the farthest point each step', () => {
    // Prepare
    const dims = 4;
    const values = randomRows(200, dims, 3);

    // Act
    const first = greedyCoreset(values, dims, 10);
    const second = greedyCoreset(values, dims, 10);

    // Assess
    expect(second).toEqual(first);
    expect(first.indices[0]).toBe(0);
    const farthestFromFirst = [...Array(200).keys()].reduce((best, i) => (distance(values, dims, i, 0) > distance(values, dims, best, 0) ? i : best), 0);
    expect(first.indices[1]).toBe(farthestFromFirst);
  });

  it('returns every point when asked for more than there are', () => {
    // Prepare
    const values = randomRows(5, 3, 1);

    // Act
    const { indices, radius } = greedyCoreset(values, 3, 500);

    // Assess
    expect([...indices].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(radius).toBe(0);
  });
});
