import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallDecision } from '../../../functions/core/ports/alert-state-store';
import type { DetectionResult } from '../../../functions/core/detection';
import type { Detector } from '../../../functions/core/ports/detector';
import {
  AlertQueueUnavailableError,
  CorruptImageError,
  DetectorUnavailableError,
  StorageUnavailableError,
  WaferwatchError,
} from '../../../functions/core/errors';
import { inspectWaferImage, type InspectionDependencies } from '../../../functions/core/inspect-wafer-image';
import type { Station } from '../../../functions/core/station-registry';
import { InMemoryImageClaims, InMemoryInspectionStore, MemoryLogger, RecordingAlertPublisher, ScriptedDetector, verdict } from '../../fixtures/fakes';
import { syntheticWafer } from '../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../functions/adapters/image-decoding/sharp-image-decoder';

const limits = { maxBytes: 1024 * 1024, minSide: 64, maxSide: 4096 };

describe('inspectWaferImage', () => {
  let jpeg: Buffer;
  let store: InMemoryInspectionStore;
  let alerts: RecordingAlertPublisher;
  let imageClaims: InMemoryImageClaims;
  let logger: MemoryLogger;
  const deps = (detector: Detector): InspectionDependencies => ({
    store,
    detector,
    alerts,
    imageClaims,
    logger,
    decoder: new SharpImageDecoder(),
    limits,
    alertPolicy: { confidenceThreshold: 0.6, reviewThreshold: 0.3 },
    earlierInspectionWaitsMs: [5, 10, 20],
    now: () => new Date('2026-11-26T10:00:00.000Z'),
  });

  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 160, 160);
  });
  beforeEach(() => {
    store = new InMemoryInspectionStore();
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    logger = new MemoryLogger();
  });

  describe('with the station cooldown asked at upload', () => {
    const NOW = Date.parse('2026-11-26T10:00:00.000Z');
    const gated = (detector: Detector, answer: () => Promise<CallDecision>): InspectionDependencies => ({
      ...deps(detector),
      stationCalls: { tryStartCall: async () => answer(), cooldownMs: 300_000 },
    });

    it('folds an anomaly of a station rung within its cooldown: recorded folded, nothing queued, the cooldown end set once', async () => {
      // Prepare
      const fold = (count: number): Promise<CallDecision> =>
        Promise.resolve({ call: false, foldedCount: count, activeCallInspectionId: '01KA0000000000000000000000', cooldownEndsAtMs: NOW + 200_000 });
      // Act
      const first = await inspectWaferImage(
        gated(new ScriptedDetector(() => verdict(true, 0.9)), () => fold(1)),
        { bytes: jpeg, stationId: 'etch-1', source: 'api' },
      );
      const other = await syntheticWafer('png', 160, 160);
      const second = await inspectWaferImage(
        gated(new ScriptedDetector(() => verdict(true, 0.9)), () => fold(2)),
        { bytes: other, stationId: 'etch-1', source: 'api' },
      );
      // Assess
      expect(first.record.alert).toEqual({ status: 'folded', intoInspectionId: '01KA0000000000000000000000', foldedAt: new Date(NOW).toISOString() });
      expect(second.record.alert.status).toBe('folded');
      expect(alerts.messages).toEqual([]);
      expect(alerts.timers).toEqual([
        {
          message: { kind: 'cooldown-end', stationId: 'etch-1', dueAt: new Date(NOW + 200_000).toISOString(), queuedAt: new Date(NOW).toISOString() },
          delaySeconds: 201,
        },
      ]);
    });

    it('queues a call with the folds the cooldown handed over, so place-call tells and acknowledges them', async () => {
      const { record } = await inspectWaferImage(
        gated(new ScriptedDetector(() => verdict(true, 0.9)), async () => ({
          call: true,
          foldedCount: 2,
          foldedInspectionIds: ['01KA0000000000000000000001', '01KA0000000000000000000002'],
        })),
        { bytes: jpeg, stationId: 'etch-1', source: 'api' },
      );
      expect(record.alert.status).toBe('queued');
      expect(alerts.messages).toEqual([
        expect.objectContaining({
          inspectionId: record.inspectionId,
          foldedCount: 2,
          foldedInspectionIds: ['01KA0000000000000000000001', '01KA0000000000000000000002'],
        }),
      ]);
    });

    it('queues the alert for place-call to decide when the cooldown cannot be asked', async () => {
      const { record } = await inspectWaferImage(
        gated(new ScriptedDetector(() => verdict(true, 0.9)), () => Promise.reject(new Error('DynamoDB is down'))),
        { bytes: jpeg, stationId: 'etch-1', source: 'api' },
      );
      expect(record.alert.status).toBe('queued');
      expect(alerts.messages).toHaveLength(1);
      expect(logger.lines.some((line) => line.level === 'warn' && line.message.includes('station cooldown'))).toBe(true);
    });
  });

  describe('timing its steps', () => {
    /**
     * Dependencies on a clock that moves only when a fake says its step took time, so each step's duration is known
     * exactly: the decode takes 11 ms, the detector `detectMs` (then answers `answer`), the cooldown 7, each record
     * write 5 and each queued message 2.
     */
    const steppedDeps = (detectMs: number, answer: DetectionResult): InspectionDependencies => {
      const took = { ms: 1_000 };
      const detector = new ScriptedDetector(() => {
        took.ms += detectMs;
        return answer;
      });
      const decoder = new SharpImageDecoder();
      const putRecord = store.putRecord.bind(store);
      store.putRecord = async (record) => {
        took.ms += 5;
        await putRecord(record);
      };
      const publish = alerts.publish.bind(alerts);
      alerts.publish = async (message, delaySeconds) => {
        took.ms += 2;
        await publish(message, delaySeconds);
      };
      return {
        ...deps(detector),
        decoder: {
          assertDecodable: async (image, maxSide) => {
            await decoder.assertDecodable(image, maxSide);
            took.ms += 11;
          },
        },
        stationCalls: {
          tryStartCall: async () => {
            took.ms += 7;
            return { call: true, foldedCount: 0 };
          },
          cooldownMs: 300_000,
        },
        clock: () => took.ms,
      };
    };

    it('answers and logs how long each step of an anomaly took: decode, detect, cooldown, record, queue', async () => {
      // Act
      const outcome = await inspectWaferImage(steppedDeps(15.04, verdict(true, 0.9)), { bytes: jpeg, stationId: 'etch-1', source: 'api' });
      // Assess
      const expected = { checks: 0, decode: 11, detect: 15, cooldown: 7, record: 5, queue: 2, total: 40 };
      expect(outcome.steps).toEqual(expected);
      expect(Object.keys(outcome.steps!)).toEqual(Object.keys(expected));
      const logged = logger.lines.find((line) => line.message === 'Wafer inspected');
      expect(logged?.extra).toMatchObject({ inspectionId: outcome.record.inspectionId, stepsMs: expected });
    });

    it('has no cooldown or queue step for a normal wafer, and no steps for bytes inspected before', async () => {
      // Prepare
      const stepped = steppedDeps(9, verdict(false, 0.95));
      // Act
      const first = await inspectWaferImage(stepped, { bytes: jpeg, stationId: 'etch-1', source: 'api' });
      const again = await inspectWaferImage(stepped, { bytes: jpeg, stationId: 'etch-1', source: 'api' });
      // Assess
      expect(first.steps).toEqual({ checks: 0, decode: 11, detect: 9, record: 5, total: 25 });
      expect(again.duplicate).toBe(true);
      expect(again.steps).toBeUndefined();
    });
  });

  describe('with stations naming their own models', () => {
    const STATIONS: Record<string, Station> = {
      'litho-3': { id: 'litho-3', name: 'Litho three', escalation: [{ contacts: [{ name: 'Ann', phone: '+15555550111' }] }], model: 'models/litho.wwm' },
      'etch-1': { id: 'etch-1', name: 'Etch one', escalation: [{ contacts: [{ name: 'Bo', phone: '+15555550112' }] }] },
      'cmp-2': { id: 'cmp-2', name: 'CMP two', escalation: [{ contacts: [{ name: 'Cy', phone: '+15555550113' }] }], model: { uri: 'models/broken.onnx' } },
    };

    it("judges each station's wafers with its own model, and the others' with the stage's", async () => {
      // Prepare
      const asked: string[] = [];
      const stationModel = new ScriptedDetector(() => ({
        ...verdict(true, 0.95),
        Detector: { name: 'embedded', modelVersion: 'wwm2-litho', model: 'models/litho.wwm' },
      }));
      const stage = new ScriptedDetector(() => verdict(false, 0.9));
      const withModels: InspectionDependencies = {
        ...deps(stage),
        stations: async (id) => STATIONS[id],
        detectorFor: async (model) => {
          asked.push(`${model.type}:${model.uri}`);
          return stationModel;
        },
      };

      // Act
      const litho = await inspectWaferImage(withModels, { bytes: jpeg, stationId: 'litho-3', source: 'api' });
      const etch = await inspectWaferImage(withModels, { bytes: await syntheticWafer('png', 160, 160), stationId: 'etch-1', source: 'api' });

      // Assess
      expect(asked).toEqual(['embedded:models/litho.wwm']);
      expect([stationModel.calls, stage.calls]).toEqual([1, 1]);
      expect(litho.record.detection?.Detector).toEqual({ name: 'embedded', modelVersion: 'wwm2-litho', model: 'models/litho.wwm' });
      expect(etch.record.status).toBe('normal');
    });

    it("keeps the image as not inspected (503) when the station's model cannot be loaded, never judging it with another model", async () => {
      // Prepare
      const stage = new ScriptedDetector(() => verdict(false, 0.9));
      const withModels: InspectionDependencies = {
        ...deps(stage),
        stations: async (id) => STATIONS[id],
        detectorFor: async () => {
          throw new Error('ONNX model has no pred_score output');
        },
      };

      // Act
      const outcome = inspectWaferImage(withModels, { bytes: jpeg, stationId: 'cmp-2', source: 'api' });

      // Assess
      await expect(outcome).rejects.toBeInstanceOf(DetectorUnavailableError);
      expect(stage.calls).toBe(0);
      const [record] = [...store.records.values()];
      expect(record).toMatchObject({ stationId: 'cmp-2', status: 'not-inspected' });
      expect(logger.lines.some((line) => line.message.includes("station's model could not be loaded"))).toBe(true);
    });
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
    expect(alerts.messages).toEqual([]);
  });

  it('queues the operator alert for an anomaly at or above the threshold, with a whole percent to speak', async () => {
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.876))), {
      bytes: jpeg,
      stationId: 'etch-1',
      source: 'api',
    });
    expect(record.status).toBe('anomalous');
    expect(alerts.messages).toEqual([{ inspectionId: record.inspectionId, stationId: 'etch-1', confidencePercent: 87, queuedAt: '2026-11-26T10:00:00.000Z' }]);
    expect(record.alert).toEqual({ status: 'queued', queuedAt: '2026-11-26T10:00:00.000Z' });
    // The record says queued before the message exists, so the place-call function always finds it.
    expect(store.records.get(record.inspectionId)?.alert.status).toBe('queued');
  });

  it('records an anomaly below the call threshold as needs-review and calls no one', async () => {
    const { record } = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.55))), { bytes: jpeg, stationId: 'default', source: 'api' });
    expect(record.status).toBe('needs-review');
    expect(record.detection?.IsAnomalous).toBe(true);
    expect(record.alert).toEqual({ status: 'skipped', reason: 'below-threshold' });
    expect(store.records.get(record.inspectionId)?.status).toBe('needs-review');
    expect(alerts.messages).toHaveLength(0);
  });

  it('keeps the verdict as not-queued and answers 503 when the queue refuses the alert; sending the image again queues it once', async () => {
    // Prepare
    alerts.failNext = 1;
    const detector = new ScriptedDetector(() => verdict(true, 0.99));
    // Act
    const error = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'api' }).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(AlertQueueUnavailableError);
    const inspectionId = (error as AlertQueueUnavailableError).details.inspectionId as string;
    expect(store.records.get(inspectionId)?.alert).toMatchObject({ status: 'not-queued' });
    // Act: the client sends the same image again
    const again = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'api' });
    // Assess: same inspection, not inspected or stored again, queued exactly once
    expect(again.record.inspectionId).toBe(inspectionId);
    expect(again.duplicate).toBe(true);
    expect(again.record.alert.status).toBe('queued');
    expect(detector.calls).toBe(1);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([inspectionId]);
    expect(store.records.size).toBe(1);
    expect([...store.objects.keys()].filter((key) => key.endsWith('.jpg'))).toHaveLength(1);
  });

  it('answers the first verdict for the same bytes sent again, storing and queueing nothing more', async () => {
    // Prepare
    const detector = new ScriptedDetector(() => verdict(true, 0.95));
    const first = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'api' });
    // Act
    const second = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'api' });
    // Assess
    expect(second.duplicate).toBe(true);
    expect(second.record).toEqual(first.record);
    expect(detector.calls).toBe(1);
    expect(alerts.messages).toHaveLength(1);
    expect(store.records.size).toBe(1);
  });

  it('waits for a concurrent upload of the same bytes instead of inspecting them again under another station', async () => {
    // Prepare: the first upload's detector is slow
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const detector = new ScriptedDetector(async () => {
      await gate;
      return verdict(true, 0.95);
    });
    // Generous waits: on a loaded machine the first upload's own decode can take longer than the gate.
    const waits = { earlierInspectionWaitsMs: [50, 100, 200, 400, 800] };
    const slowFirst = inspectWaferImage({ ...deps(detector), ...waits }, { bytes: jpeg, stationId: 'etch-1', source: 'api' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = inspectWaferImage({ ...deps(detector), ...waits }, { bytes: jpeg, stationId: 'etch-9', source: 'api' });
    // Act
    setTimeout(release, 30);
    const [first, duplicate] = await Promise.all([slowFirst, second]);
    // Assess
    expect(detector.calls).toBe(1);
    expect(duplicate.duplicate).toBe(true);
    expect(duplicate.record).toEqual(first.record);
    expect(first.record.stationId).toBe('etch-1');
    expect(alerts.messages).toHaveLength(1);
  });

  it('gives a camera upload of bytes already inspected its own record pointing at the first inspection, without an alert', async () => {
    // Prepare
    const detector = new ScriptedDetector(() => verdict(true, 0.95));
    const first = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'api' });
    const cameraId = '01KB0000000000000000000000';
    // Act
    const camera = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-1', source: 'camera', inspectionId: cameraId });
    // Assess
    expect(camera.record).toMatchObject({
      inspectionId: cameraId,
      duplicateOf: first.record.inspectionId,
      status: 'anomalous',
      source: 'camera',
      alert: { status: 'skipped', reason: 'duplicate' },
      image: { key: first.record.image.key },
    });
    expect(store.records.get(cameraId)).toEqual(camera.record);
    expect(alerts.messages).toHaveLength(1);
    expect(detector.calls).toBe(1);
  });

  it('gives a camera upload that finishes an unfinished inspection of the same bytes its own record pointing there', async () => {
    // Prepare: the first inspection of these bytes stopped before its record was written
    store.failRecordPuts = 1;
    const detector = new ScriptedDetector(() => verdict(true, 0.9));
    const failed = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-2', source: 'api' }).catch((caught: unknown) => caught);
    expect(failed).toBeInstanceOf(StorageUnavailableError);
    const firstId = imageClaims.claims.values().next().value as string;
    const cameraId = '01KB0000000000000000000001';
    // Act
    const camera = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'etch-2', source: 'camera', inspectionId: cameraId });
    // Assess
    expect(store.records.get(firstId)).toMatchObject({ status: 'anomalous', alert: { status: 'queued' } });
    expect(camera.record).toMatchObject({ inspectionId: cameraId, duplicateOf: firstId, alert: { status: 'skipped', reason: 'duplicate' } });
    expect(store.records.get(cameraId)).toEqual(camera.record);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([firstId]);
  });

  it('inspects the same bytes again under the same id after the detector was unavailable, without storing the image twice', async () => {
    // Prepare
    let available = false;
    const detector = new ScriptedDetector(() => {
      if (!available) throw new DetectorUnavailableError('Throttled.', 1);
      return verdict(true, 0.9);
    });
    const error = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    const inspectionId = (error as DetectorUnavailableError).details.inspectionId as string;
    const imagePuts = store.objects.size;
    available = true;
    // Act
    const retried = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' });
    // Assess
    expect(retried.record.inspectionId).toBe(inspectionId);
    expect(retried.record.status).toBe('anomalous');
    expect(retried.record.createdAt).toBe(store.records.get(inspectionId)?.createdAt);
    expect(store.objects.size).toBe(imagePuts);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([inspectionId]);
  });

  it('stores nothing when the earlier uploads cannot be checked, and says to send again', async () => {
    imageClaims.failNext = 1;
    const error = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.9))), { bytes: jpeg, stationId: 'default', source: 'api' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect(store.objects.size + store.records.size).toBe(0);
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

  it('stores the verdict while its mask is still being written, so the record does not wait on the mask', async () => {
    // Prepare: the mask write lands only once the record is there (a sequential pipeline would wait forever).
    const mask = new Uint8Array([4, 5, 6]);
    let releaseMask = () => {};
    store.holdMaskPuts = new Promise<void>((resolve) => (releaseMask = resolve));
    const recordPut = store.putRecord.bind(store);
    store.putRecord = async (record) => {
      await recordPut(record);
      releaseMask();
    };
    // Act
    const outcome = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(false, 0.95, mask))), { bytes: jpeg, stationId: 'default', source: 'api' });
    // Assess
    const maskKey = `inspections/2026/11/26/${outcome.record.inspectionId}.mask.png`;
    expect(store.records.get(outcome.record.inspectionId)?.detection?.anomalyMaskKey).toBe(maskKey);
    expect(store.objects.get(maskKey)).toEqual(mask);
  });

  it('takes the mask out of the record when the mask cannot be stored: the verdict stands, answered with its mask', async () => {
    // Prepare
    const mask = new Uint8Array([7, 8, 9]);
    store.failMaskPuts = 1;
    // Act
    const outcome = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.9, mask))), { bytes: jpeg, stationId: 'default', source: 'api' });
    // Assess
    const stored = store.records.get(outcome.record.inspectionId)!;
    expect(stored.status).toBe('anomalous');
    expect(stored.alert.status).toBe('queued');
    expect(stored.detection).toBeDefined();
    expect(stored.detection?.anomalyMaskKey).toBeUndefined();
    expect(outcome.record.detection?.anomalyMaskKey).toBeUndefined();
    expect(outcome.anomalyMask).toEqual(mask);
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([outcome.record.inspectionId]);
    expect(logger.lines.some((line) => line.level === 'warn' && line.message === 'Storing the anomaly mask failed')).toBe(true);
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
    expect(alerts.messages).toHaveLength(0);
  });

  it('stores nothing and calls no detector for a rejected image', async () => {
    const detector = new ScriptedDetector(() => verdict(true, 1));
    const error = await inspectWaferImage(deps(detector), { bytes: Buffer.from('not an image'), stationId: 'default', source: 'api' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WaferwatchError);
    expect(store.objects.size + store.records.size).toBe(0);
    expect(detector.calls).toBe(0);
  });

  it('reports storage as unavailable, and places no call, when the image cannot be written', async () => {
    store.failImagePuts = 1;
    const error = await inspectWaferImage(deps(new ScriptedDetector(() => verdict(true, 0.99))), { bytes: jpeg, stationId: 'default', source: 'api' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', kind: 'unavailable' });
    expect(alerts.messages).toHaveLength(0);
  });

  it('gives every inspection its own id and key, even within one millisecond', async () => {
    const detector = new ScriptedDetector(() => verdict(false, 0.9));
    // Claims that never match, as for 20 different photos.
    const distinct = { ...deps(detector), imageClaims: { claim: async () => ({ firstSeen: true as const }), release: async () => {} } };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => inspectWaferImage(distinct, { bytes: jpeg, stationId: 'default', source: 'api' })));
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
    expect(error).toMatchObject({ code: 'CORRUPT_IMAGE', kind: 'refused' });
    expect(store.objects.size + store.records.size).toBe(0);
    // The bytes were claimed while they were being decoded; the claim is given back, so they are judged afresh next time.
    expect(imageClaims.claims.size).toBe(0);
  });

  it('claims the bytes while they are being decoded, not after', async () => {
    // Prepare: the decode finishes only once the bytes are claimed (a claim made after the decode would wait forever).
    const detector: Detector = {
      prepare: async () => {
        while (imageClaims.claims.size === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        return undefined;
      },
      detect: async () => verdict(false, 0.95),
    };
    // Act
    const outcome = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' });
    // Assess
    expect(outcome.record.status).toBe('normal');
    expect([...imageClaims.claims.values()]).toEqual([outcome.record.inspectionId]);
  });

  it('refuses pixels that do not decode as the client error they are, even when the claim store is down too', async () => {
    // Prepare
    imageClaims.failNext = 1;
    const detector: Detector = {
      prepare: async () => {
        throw new CorruptImageError('The image data is corrupt or truncated and cannot be decoded.');
      },
      detect: async () => verdict(true, 1),
    };
    // Act
    const error = await inspectWaferImage(deps(detector), { bytes: jpeg, stationId: 'default', source: 'api' }).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(CorruptImageError);
  });
});
