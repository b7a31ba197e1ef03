import { describe, expect, it } from 'vitest';
import { readEmbeddedDetector } from '../../../functions/adapters/embedded-detector/embedded-detector';
import { driftReport, formatDriftTable } from '../../../detector/drift';
import { DRIFT_PERTURBATIONS, parsePerturbation, perturbationLabel, perturbationSpec, perturbPhoto } from '../../../detector/perturbations';
import { DEFAULT_MODEL, sample } from '../adapters/embedded-detector/helpers';
import sharp from 'sharp';

const image = (folder: 'good' | 'anomalous', name: string) => ({ name, bytes: sample(folder, name) });

describe('camera drift report', () => {
  it('scores held-out images under each perturbation at the model threshold, the unperturbed row first', async () => {
    // Prepare
    const detector = await readEmbeddedDetector(DEFAULT_MODEL);
    const cases = [{ detector, normals: [image('good', 'wafer.jpg')], anomalous: [image('anomalous', 'cristals.jpg')] }];

    // Act
    const report = await driftReport(cases, [parsePerturbation('brightness:1.15'), parsePerturbation('scale:0.9')]);

    // Assess
    expect(report.rows.map((r) => r.perturbation)).toEqual(['none', 'brightness +15%', 'scale 90%']);
    for (const row of report.rows) {
      expect([row.normals, row.anomalous]).toEqual([1, 1]);
      expect(row.falseCallRate).toBe(row.falseCalls / row.normals);
      expect(row.recall).toBe(row.found / row.anomalous);
      expect(row.goalMet).toBe(row.falseCallRate <= 0.05 && row.recall >= 0.95);
    }
    expect(report.goalMet).toBe(report.rows.every((r) => r.goalMet));
    const table = formatDriftTable(report);
    expect(table).toContain('brightness +15%');
    expect(table.split('\n')).toHaveLength(report.rows.length + 3);
  });

  it('covers the drift of the goal: brightness ±15 %, blur up to σ1.5, JPEG down to 50, scale 90–110 %', () => {
    // Prepare
    const labels = DRIFT_PERTURBATIONS.map(perturbationLabel);

    // Act
    const reparsed = DRIFT_PERTURBATIONS.map((p) => perturbationLabel(parsePerturbation(perturbationSpec(p))));

    // Assess
    expect(labels).toEqual(expect.arrayContaining(['brightness -15%', 'brightness +15%', 'blur σ1.5', 'jpeg q50', 'scale 90%', 'scale 110%']));
    expect(reparsed).toEqual(labels);
    expect(() => parsePerturbation('contrast:2')).toThrow(/Not a perturbation/);
  });

  it('perturbs a photo at its own size', async () => {
    // Prepare
    const bytes = sample('good', 'wafer.jpg');

    // Act
    const brighter = await sharp(await perturbPhoto(bytes, { kind: 'brightness', factor: 1.15 })).stats();
    const original = await sharp(bytes).stats();
    const scaled = await sharp(await perturbPhoto(bytes, { kind: 'scale', factor: 0.9 })).metadata();

    // Assess
    expect(brighter.channels[0]!.mean / original.channels[0]!.mean).toBeCloseTo(1.15, 1);
    expect([scaled.width, scaled.height]).toEqual([(await sharp(bytes).metadata()).width, (await sharp(bytes).metadata()).height]);
  });
});
