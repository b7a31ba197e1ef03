import { describe, expect, it } from 'vitest';
import { readEmbeddedDetector, type EmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { perturbPhoto, type Perturbation } from '../../../../detector/perturbations';
import { DEFAULT_MODEL, sample } from './helpers';

// The shipped samples are already at the working size (512 px), so blur and JPEG here are harsher than the same
// settings on a full-size camera photo; the full drift goal on the photos is measured by eval:detector --drift.
const DRIFTS: Perturbation[] = [
  { kind: 'brightness', factor: 0.85 },
  { kind: 'brightness', factor: 1.15 },
  { kind: 'blur', sigma: 0.5 },
  { kind: 'jpeg', quality: 70 },
  { kind: 'scale', factor: 0.9 },
  { kind: 'scale', factor: 1.1 },
];

describe('the default model under camera drift', () => {
  let detector: EmbeddedDetector;

  it.each(DRIFTS)('judges a normal wafer normal and still finds a scratch: %o', async (drift) => {
    // Prepare
    detector ??= await readEmbeddedDetector(DEFAULT_MODEL);
    const normal = await perturbPhoto(sample('good', 'wafer.jpg'), drift);
    const scratch = await perturbPhoto(sample('anomalous', 'scratch.jpg'), drift);

    // Act
    const normalResult = await detector.detectBytes(normal);
    const scratchResult = await detector.detectBytes(scratch);

    // Assess
    expect(normalResult.IsAnomalous).toBe(false);
    expect(scratchResult.IsAnomalous).toBe(true);
  });

  it('gives a brightness-scaled wafer the same descriptors, so nearly the same score', async () => {
    // Prepare
    detector ??= await readEmbeddedDetector(DEFAULT_MODEL);
    const bytes = sample('good', 'wafer.jpg');

    // Act
    const plain = await detector.detectBytes(bytes);
    const darker = await detector.detectBytes(await perturbPhoto(bytes, { kind: 'brightness', factor: 0.88 }));
    const brighter = await detector.detectBytes(await perturbPhoto(bytes, { kind: 'brightness', factor: 1.12 }));

    // Assess
    expect(Math.abs(darker.AnomalyScore! - plain.AnomalyScore!)).toBeLessThan(0.1 * plain.AnomalyScore!);
    expect(Math.abs(brighter.AnomalyScore! - plain.AnomalyScore!)).toBeLessThan(0.1 * plain.AnomalyScore!);
  });
});
