import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Detector } from '../../../../functions/core/ports/detector';
import { createInspectImageHandler } from '../../../../functions/adapters/http/inspect-image-route';
import { createListInspectionsHandler } from '../../../../functions/adapters/http/list-inspections-route';
import { apiEvent, lambdaContext, rawUploadEvent } from '../../../fixtures/api-events';
import { InMemoryImageClaims, InMemoryInspectionStore, MemoryLogger, RecordingAlertPublisher, ScriptedDetector, verdict } from '../../../fixtures/fakes';
import { syntheticWafer } from '../../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../../functions/adapters/image-decoding/sharp-image-decoder';

const ORIGIN = 'https://inspect.fab.example';

describe('GET /inspections (createListInspectionsHandler)', () => {
  let store: InMemoryInspectionStore;
  let alerts: RecordingAlertPublisher;
  let imageClaims: InMemoryImageClaims;
  let logger: MemoryLogger;
  let detector: Detector;
  /** Four different wafer photos: the same bytes sent again are the same inspection, so listing needs distinct ones. */
  let distinctJpegs: Buffer[];

  const inspectHandler = () =>
    createInspectImageHandler(() => ({
      allowedOrigins: [ORIGIN],
      logger,
      detector: async () => detector,
      inspection: {
        store,
        alerts,
        imageClaims,
        logger,
        alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 },
        decoder: new SharpImageDecoder(),
        limits: { maxBytes: 1 << 20, minSide: 64, maxSide: 4096 },
      },
    }));
  const listHandler = () => createListInspectionsHandler(() => ({ allowedOrigins: [ORIGIN], logger, store }));

  beforeAll(async () => {
    distinctJpegs = await Promise.all([129, 130, 131, 132].map((width) => syntheticWafer('jpeg', width, 128)));
  });
  beforeEach(() => {
    store = new InMemoryInspectionStore();
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    logger = new MemoryLogger();
    detector = new ScriptedDetector(() => verdict(true, 0.93, new Uint8Array([0x89, 0x50])));
  });

  it('lists recent inspections newest first, honouring and checking limit', async () => {
    detector = new ScriptedDetector(() => verdict(false, 0.9));
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push(JSON.parse((await inspectHandler()(rawUploadEvent(distinctJpegs[i]!), lambdaContext)).body).inspectionId);
    const listed = await listHandler()(apiEvent({ httpMethod: 'GET', queryStringParameters: { limit: '2' } }), lambdaContext);
    expect(JSON.parse(listed.body).inspections.map((record: { inspectionId: string }) => record.inspectionId)).toEqual([ids[2], ids[1]]);
    for (const limit of ['0', '101', 'ten', '1.5']) {
      const response = await listHandler()(apiEvent({ httpMethod: 'GET', queryStringParameters: { limit } }), lambdaContext);
      expect(response.statusCode).toBe(400);
    }
  });

  it('lists only inspections of the asked status, e.g. the needs-review queue, and refuses unknown statuses', async () => {
    // Prepare: confidence bands 0.3 (review) and 0.5 (call): a normal verdict held at 60 % is 40 % likely anomalous.
    const answers = [verdict(false, 0.6), verdict(false, 0.95), verdict(false, 0.65), verdict(true, 0.9)];
    detector = new ScriptedDetector(() => answers.shift()!);
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) ids.push(JSON.parse((await inspectHandler()(rawUploadEvent(distinctJpegs[i]!), lambdaContext)).body).inspectionId);

    // Act
    const review = await listHandler()(apiEvent({ httpMethod: 'GET', queryStringParameters: { status: 'needs-review' } }), lambdaContext);
    const bad = await listHandler()(apiEvent({ httpMethod: 'GET', queryStringParameters: { status: 'pending' } }), lambdaContext);

    // Assess
    expect(JSON.parse(review.body).inspections.map((record: { inspectionId: string; status: string }) => [record.inspectionId, record.status])).toEqual([
      [ids[2], 'needs-review'],
      [ids[0], 'needs-review'],
    ]);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('MALFORMED_REQUEST');
  });
});
