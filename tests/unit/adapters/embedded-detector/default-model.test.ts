import { describe, expect, it } from 'vitest';
import { readEmbeddedDetector, type EmbeddedDetector } from '../../../../functions/adapters/embedded-detector/embedded-detector';
import { DEFAULT_MODEL, sample, sampleNames, validated } from './helpers';

describe('the default model on the shipped samples', () => {
  let detector: EmbeddedDetector;

  it('loads from models/wafer-default.wwm', async () => {
    // Prepare
    const path = DEFAULT_MODEL;

    // Act
    detector = await readEmbeddedDetector(path);

    // Assess
    expect(detector.model.threshold).toBeGreaterThan(0);
  });

  it.each(sampleNames('good'))('passes the normal sample %s', async (name) => {
    // Prepare
    const image = await validated(sample('good', name));

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.IsAnomalous).toBe(false);
    expect(result.AnomalyScore).toBeLessThan(detector.model.threshold);
    expect(result.Confidence).toBeGreaterThan(0.5);
    expect(result.Detector).toEqual({ name: 'embedded', modelVersion: detector.modelVersion });
  });

  it.each(sampleNames('anomalous'))('flags the anomalous sample %s', async (name) => {
    // Prepare
    const image = await validated(sample('anomalous', name));

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.IsAnomalous).toBe(true);
    expect(result.AnomalyScore).toBeGreaterThan(detector.model.threshold);
    expect(result.Confidence).toBeGreaterThan(0.5);
    expect(result.Anomalies.map((a) => a.Name)).toEqual(['background', 'anomaly']);
  });

  it('ships the demo images the rest of the product uses', () => {
    // Prepare
    const names = [...sampleNames('good'), ...sampleNames('anomalous')];

    // Act
    const demo = ['wafer.jpg', 'scratch.jpg'].map((n) => names.includes(n));

    // Assess
    expect(demo).toEqual([true, true]);
    expect(sampleNames('good')).toHaveLength(15);
    expect(sampleNames('anomalous')).toHaveLength(15);
  });
});
