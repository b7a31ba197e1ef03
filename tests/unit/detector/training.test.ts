import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { encodeModelFile } from '../../../functions/adapters/embedded-detector/model-file';
import { loadEmbeddedDetector } from '../../../functions/adapters/embedded-detector/embedded-detector';
import { trainWaferModel } from '../../../detector/training';
import { sample } from '../adapters/embedded-detector/helpers';

const NORMALS = ['wafer.jpg', '90_blurred.jpg', 'dodged.jpg'].map((name) => ({ name, bytes: sample('good', name) }));
const OPTIONS = { createdAt: '2026-11-26T00:00:00.000Z', bankSize: 200 };

describe('trainWaferModel', () => {
  it('builds a model from normal images only that passes a held-out normal and flags a defect', async () => {
    // Prepare
    const heldOutNormal = sample('good', '240_airbrushed.jpg');
    const defect = sample('anomalous', 'particle.jpg');

    // Act
    const { model, report } = await trainWaferModel(NORMALS, OPTIONS);
    const detector = loadEmbeddedDetector(encodeModelFile(model));

    // Assess
    expect(model.bank.length / 22).toBe(200);
    const calibrationCopies = model.provenance.calibrationRotations.length + (model.provenance.calibrationPerturbations?.length ?? 0);
    expect(report.heldOutScores).toHaveLength(NORMALS.length * calibrationCopies);
    expect(report.heldOutScores.every((h) => h.score < model.threshold)).toBe(true);
    expect(model.provenance.images).toEqual(NORMALS.map((n) => ({ name: n.name, sha256: createHash('sha256').update(n.bytes).digest('hex') })));
    expect((await detector.detectBytes(heldOutNormal)).IsAnomalous).toBe(false);
    expect((await detector.detectBytes(defect)).IsAnomalous).toBe(true);
  });

  it('is deterministic: the same images and date give the same model file byte for byte', async () => {
    // Prepare
    const images = NORMALS.slice(0, 2);

    // Act
    const first = encodeModelFile((await trainWaferModel(images, OPTIONS)).model);
    const second = encodeModelFile((await trainWaferModel(images, OPTIONS)).model);

    // Assess
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });

  it('refuses to train without images', async () => {
    // Prepare
    const none: never[] = [];

    // Act
    const training = trainWaferModel(none, OPTIONS);

    // Assess
    await expect(training).rejects.toThrow(/at least one normal image/);
  });
});
