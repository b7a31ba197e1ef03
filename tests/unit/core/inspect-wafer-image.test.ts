import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Detector } from '../../../functions/core/detection';
import { CorruptImageError, DetectorUnavailableError, OperatorCallError, WaferwatchError } from '../../../functions/core/errors';
import { inspectWaferImage, type InspectionDependencies } from '../../../functions/core/inspect-wafer-image';
import { InMemoryInspectionStore, MemoryLogger, RecordingCaller, ScriptedDetector, verdict } from '../../fixtures/fakes';
import { syntheticWafer } from '../../fixtures/wafer-images';

const limits = { maxBytes: 1024 * 1024, minSide: 64, maxSide: 4096 };

describe('inspectWaferImage', () => {
  let jpeg: Buffer;
  let store: InMemoryInspectionStore;
  let caller: RecordingCaller;
  let logger: MemoryLogger;
  const deps = (detector: Detector): InspectionDependencies => ({
    store,
    detector,
    caller,
    logger,
    limits,
    alertPolicy: { confidenceThreshold: 0.6, reviewThreshold: 0.3 },
    now: () => new Date('2026-11-26T10:00:00.000Z'),
  });

  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 160, 160);
  });
  beforeEach(() => {
    store = new InMemoryInspectionStore();
    caller = new RecordingCaller();
    logger = new MemoryLogger();
  });

  it('stores a normal wafer with its record and places no call', async () => {
    // Act
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(false, 0.97))), {
      bytes: jpeg,
      stationId: 'litho-3',
      source: 'api',
    });
    // Assess
    expect(record.status).toBe('normal');
    expect(record.alert).toEqual({ status: 'skipped', reason: 'not-anomalous' });
    expect(record.image.key).toBe(`inspections/2026/11/26/${record.inspectionId}.jpg`);
    expect(store.objects.get(record.image.key)).toEqual(jpeg);
    expect(store.records.get(record.inspectionId)).toEqual(record);
    expect(store.imageMetadata.get(record.image.key)).toMatchObject({ stationId: 'litho-3', source: 'api', sha256: record.image.sha256 });
    expect(caller.alerts).toEqual([]);
  });

  it('calls the operator for an anomaly at or above the threshold, speaking a whole percent', async () => {
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.876))), {
      bytes: jpeg,
      stationId: 'etch-1',
      source: 'api',
    });
    expect(record.status).toBe('anomalous');
    expect(caller.alerts).toEqual([{ inspectionId: record.inspectionId, stationId: 'etch-1', confidencePercent: 87 }]);
    expect(record.alert).toEqual({ status: 'placed', contactId: 'contact-1', placedAt: '2026-11-26T10:00:00.000Z' });
  });

  it('records an anomaly below the call threshold as needs-review and calls no one', async () => {
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.55))), { bytes: jpeg, stationId: 'default', source: 'api' });
    expect(record.status).toBe('needs-review');
    expect(record.detection?.IsAnomalous).toBe(true);
    expect(record.alert).toEqual({ status: 'skipped', reason: 'below-threshold' });
    expect(store.records.get(record.inspectionId)?.status).toBe('needs-review');
    expect(caller.alerts).toHaveLength(0);
  });

  it('keeps the inspection when the call fails, recording why', async () => {
    caller.failWith = new OperatorCallError('The destination is not allowed');
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.99))), { bytes: jpeg, stationId: 'default', source: 'api' });
    expect(record.alert).toMatchObject({ status: 'failed', reason: 'The destination is not allowed' });
    expect(store.records.get(record.inspectionId)?.alert.status).toBe('failed');
  });

  it('records only a generic reason when a caller fails with an error not meant for clients', async () => {
    caller.failWith = new Error('connect to +447700900123 at arn:aws:connect:eu-west-1:123456789012:instance/x failed');
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.99))), { bytes: jpeg, stationId: 'default', source: 'api' });
    expect(record.alert).toMatchObject({ status: 'failed', reason: 'The operator call could not be placed.' });
    expect(JSON.stringify(store.records.get(record.inspectionId))).not.toMatch(/\+44|arn:/);
  });

  it('stores the anomaly mask beside the image and references it from the record', async () => {
    const mask = new Uint8Array([1, 2, 3]);
    const outcome = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.9, mask))), { bytes: jpeg, stationId: 'default', source: 'api' });
    const maskKey = `inspections/2026/11/26/${outcome.record.inspectionId}.mask.png`;
    expect(outcome.record.detection?.anomalyMaskKey).toBe(maskKey);
    expect(store.objects.get(maskKey)).toEqual(mask);
    expect(outcome.anomalyMask).toEqual(mask);
    expect(JSON.stringify(store.records.get(outcome.record.inspectionId))).not.toContain('AnomalyMask');
  });

  it('keeps the image and a not-inspected record when the detector is unavailable, then reports 503 with the id', async () => {
    // Prepare
    const detector = new ScriptedDetector(() => {
      throw new DetectorUnavailableError('The model is not running.', 30);
    });
    // Act
    const error = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(DetectorUnavailableError);
    const unavailable = error as DetectorUnavailableError;
    expect(unavailable.retryAfterSeconds).toBe(30);
    const inspectionId = unavailable.details.inspectionId as string;
    const record = store.records.get(inspectionId)!;
    expect(record.status).toBe('not-inspected');
    expect(record.detectionError).toEqual({ code: 'DETECTOR_UNAVAILABLE', message: 'The model is not running.' });
    expect(record.alert).toEqual({ status: 'skipped', reason: 'not-inspected' });
    expect(store.objects.get(record.image.key)).toEqual(jpeg);
    expect(caller.alerts).toHaveLength(0);
  });

  it('stores nothing and calls no detector for a rejected image', async () => {
    const detector = new ScriptedDetector(() => verdict(true, 1));
    const error = await inspectWaferImage(deps(detector), { bytes: Buffer.from('not an image'), stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WaferwatchError);
    expect(store.objects.size + store.records.size).toBe(0);
    expect(detector.calls).toBe(0);
  });

  it('reports storage as unavailable, and places no call, when the image cannot be written', async () => {
    store.failImagePuts = 1;
    const error = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.99))), { bytes: jpeg, stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', statusCode: 503 });
    expect(caller.alerts).toHaveLength(0);
  });

  it('gives every inspection its own id and key, even within one millisecond', async () => {
    const detector = new ScriptedDetector(() => verdict(false, 0.9));
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' })));
    expect(new Set(outcomes.map((outcome) => outcome.record.image.key)).size).toBe(20);
    expect(store.records.size).toBe(20);
  });

  it('decodes once: what the detector prepared is what it is asked to detect on', async () => {
    // Prepare
    const seen: unknown[] = [];
    const detector: Detector<{ decodedBy: string }> = {
      prepare: async () => ({ decodedBy: 'detector' }),
      detect: async (_image, prepared) => {
        seen.push(prepared);
        return verdict(false, 0.9);
      },
    };
    // Act
    await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' });
    // Assess
    expect(seen).toEqual([{ decodedBy: 'detector' }]);
  });

  it('stores nothing when the detector cannot decode the pixels', async () => {
    const detector: Detector = {
      prepare: async () => {
        throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
      },
      detect: async () => verdict(true, 1),
    };
    const error = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'CORRUPT_IMAGE', statusCode: 422 });
    expect(store.objects.size + store.records.size).toBe(0);
  });
});
