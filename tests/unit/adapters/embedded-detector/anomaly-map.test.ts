import { describe, expect, it } from 'vitest';
import { regionRows, regionScoreMap, scoredRegion, smoothScoreMap } from '../../../../functions/adapters/embedded-detector/anomaly-map';
import { randomRows } from './helpers';

describe('the scored region of a patch grid', () => {
  it('leaves the border rings out, and keeps the whole grid when nothing would be left inside them', () => {
    // Prepare
    const cases = [
      [62, 63, 2],
      [62, 63, 0],
      [4, 9, 2],
      [5, 5, 2],
    ] as const;

    // Act
    const regions = cases.map(([width, height, border]) => scoredRegion(width, height, border));

    // Assess
    expect(regions).toEqual([
      { left: 2, top: 2, width: 58, height: 59 },
      { left: 0, top: 0, width: 62, height: 63 },
      { left: 0, top: 0, width: 4, height: 9 },
      { left: 2, top: 2, width: 1, height: 1 },
    ]);
  });

  it("scores from the region's rows alone the map the whole grid's distances give", () => {
    // Prepare: distances of a 12 x 9 grid, and 3-value descriptor rows of the same grid.
    const [width, height] = [12, 9];
    const distances = randomRows(width * height, 1, 4).map(Math.abs);
    const descriptors = randomRows(width * height, 3, 5);
    const region = scoredRegion(width, height, 2);

    // Act
    const regionDistances = regionRows(distances, width, 1, region);
    const map = regionScoreMap(regionDistances, region, width, height, 1);
    const regionDescriptors = regionRows(descriptors, width, 3, region);

    // Assess: the interior smoothed on its own, 0 on the two border rings.
    const interior = Float32Array.from({ length: 8 * 5 }, (_, i) => distances[(2 + Math.floor(i / 8)) * width + 2 + (i % 8)]!);
    const smoothed = smoothScoreMap(interior, 8, 5, 1);
    const expected = Float32Array.from({ length: width * height }, (_, i) => {
      const [x, y] = [i % width, Math.floor(i / width)];
      return x >= 2 && x < 10 && y >= 2 && y < 7 ? smoothed[(y - 2) * 8 + x - 2]! : 0;
    });
    expect(Array.from(map)).toEqual(Array.from(expected));
    expect(Array.from(regionDescriptors.subarray(0, 3))).toEqual(Array.from(descriptors.subarray((2 * width + 2) * 3, (2 * width + 3) * 3)));
    expect(regionDescriptors).toHaveLength(region.width * region.height * 3);
  });
});
