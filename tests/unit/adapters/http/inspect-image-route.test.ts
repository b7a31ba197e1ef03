import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Detector } from '../../../../functions/core/ports/detector';
import { DetectorUnavailableError } from '../../../../functions/core/errors';
import { createGetInspectionHandler } from '../../../../functions/adapters/http/get-inspection-route';
import { createInspectImageHandler } from '../../../../functions/adapters/http/inspect-image-route';
import { apiEvent, lambdaContext, rawUploadEvent } from '../../../fixtures/api-events';
import { InMemoryImageClaims, InMemoryInspectionStore, MemoryLogger, RecordingAlertPublisher, ScriptedDetector, verdict } from '../../../fixtures/fakes';
import { syntheticWafer } from '../../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../../functions/adapters/image-decoding/sharp-image-decoder';

const ORIGIN = 'https://inspect.fab.example';

describe('POST /inspections (createInspectImageHandler)', () => {
  let jpeg: Buffer;
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
  const getHandler = () => createGetInspectionHandler(() => ({ allowedOrigins: [ORIGIN], logger, store }));

  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 128, 128);
    distinctJpegs = await Promise.all([129, 130, 131, 132].map((width) => syntheticWafer('jpeg', width, 128)));
  });
  beforeEach(() => {
    store = new InMemoryInspectionStore();
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    logger = new MemoryLogger();
    detector = new ScriptedDetector(() => verdict(true, 0.93, new Uint8Array([0x89, 0x50])));
  });

  it('answers 201 with the inspection, its alert and its mask, then serves the same record by id', async () => {
    // Act
    const created = await inspectHandler()(rawUploadEvent(jpeg, 'image/jpeg', { queryStringParameters: { station: 'litho-3' } }), lambdaContext);
    // Assess
    expect(created.statusCode).toBe(201);
    const body = JSON.parse(created.body);
    expect(body).toMatchObject({ stationId: 'litho-3', status: 'anomalous', alert: { status: 'queued', queuedAt: expect.any(String) } });
    // The upload does not wait on Connect: the alert is on the queue for the place-call function.
    expect(alerts.messages).toEqual([{ inspectionId: body.inspectionId, stationId: 'litho-3', confidencePercent: 93, queuedAt: body.alert.queuedAt }]);
    expect(body.detection).toMatchObject({ IsAnomalous: true, Confidence: 0.93 });
    expect(body.anomalyMaskDataUrl).toBe('data:image/png;base64,iVA=');
    expect(created.headers?.Location).toBe(`/inspections/${body.inspectionId}`);
    // Where the upload's time went, as W3C Server-Timing: each step of the inspection, in order, then the total.
    expect(created.headers?.['Server-Timing']).toMatch(
      /^checks;dur=\d+(\.\d)?, decode;dur=\d+(\.\d)?, detect;dur=\d+(\.\d)?, cooldown;dur=\d+(\.\d)?, record;dur=\d+(\.\d)?, queue;dur=\d+(\.\d)?, total;dur=\d+(\.\d)?$/,
    );
    const fetched = await getHandler()(
      apiEvent({ httpMethod: 'GET', resource: '/inspections/{id}', pathParameters: { id: body.inspectionId } }),
      lambdaContext,
    );
    expect(fetched.statusCode).toBe(200);
    // The upload's answer is the record plus Lookout's verdict fields at the top, for the original sample's page.
    const { IsAnomalous, Confidence, Anomalies, ...record } = body;
    expect(JSON.parse(fetched.body)).toEqual(record);
    expect({ IsAnomalous, Confidence, Anomalies }).toEqual({ IsAnomalous: true, Confidence: 0.93, Anomalies: body.detection.Anomalies });
  });

  it('uses the default station when the request names none', async () => {
    const created = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);
    expect(JSON.parse(created.body).stationId).toBe('default');
  });

  it('echoes only a configured Origin in CORS, never an arbitrary one', async () => {
    const allowed = await inspectHandler()(
      rawUploadEvent(distinctJpegs[0]!, 'image/jpeg', { headers: { 'content-type': 'image/jpeg', origin: ORIGIN } }),
      lambdaContext,
    );
    expect(allowed.headers?.['Access-Control-Allow-Origin']).toBe(ORIGIN);
    const foreign = await inspectHandler()(
      rawUploadEvent(distinctJpegs[1]!, 'image/jpeg', { headers: { 'content-type': 'image/jpeg', origin: 'https://evil.example' } }),
      lambdaContext,
    );
    expect(foreign.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    const preflight = await inspectHandler()(apiEvent({ httpMethod: 'OPTIONS', headers: { Origin: ORIGIN } }), lambdaContext);
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers?.['Access-Control-Allow-Methods']).toContain('POST');
    // Both uploads were inspected (the foreign origin only loses the CORS header); the preflight queued nothing.
    expect([allowed.statusCode, foreign.statusCode]).toEqual([201, 201]);
    expect(alerts.messages).toHaveLength(2);
  });

  it('answers the first inspection again for the same bytes sent twice, with no second alert and nothing stored again', async () => {
    // Prepare
    const first = JSON.parse(
      (await inspectHandler()(rawUploadEvent(jpeg, 'image/jpeg', { queryStringParameters: { station: 'etch-1' } }), lambdaContext)).body,
    );
    const storedObjects = store.objects.size;

    // Act
    const again = await inspectHandler()(rawUploadEvent(jpeg, 'image/jpeg', { queryStringParameters: { station: 'etch-1' } }), lambdaContext);

    // Assess: 200 with the inspection the bytes already have, not a second 201 Created
    expect(again.statusCode).toBe(200);
    expect(again.headers?.Location).toBe(`/inspections/${first.inspectionId}`);
    expect(again.headers?.['Server-Timing']).toBeUndefined();
    // ...saying when and where the bytes were inspected first, so the page can tell the operator.
    expect(first.alreadyInspected).toBeUndefined();
    expect(JSON.parse(again.body)).toEqual({
      ...first,
      alreadyInspected: { inspectionId: first.inspectionId, at: first.createdAt, stationId: 'etch-1' },
    });
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([first.inspectionId]);
    expect(store.records.size).toBe(1);
    expect(store.objects.size).toBe(storedObjects);
    expect((detector as ScriptedDetector).calls).toBe(1);
  });

  it("takes the original Lookout sample page's upload (JSON data URL as text/plain) and answers IsAnomalous and Confidence at the top", async () => {
    // Prepare: exactly what $.ajax({ type: 'POST', data: JSON.stringify({ image }), contentType: 'text/plain' }) sends.
    const event = apiEvent({
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ image: `data:image/jpeg;base64,${jpeg.toString('base64')}` }),
    });

    // Act
    const response = await inspectHandler()(event, lambdaContext);
    const answer = JSON.parse(response.body);

    // Assess: read the way the sample's page reads it.
    expect(response.statusCode).toBe(201);
    expect(typeof answer.IsAnomalous).toBe('boolean');
    expect(typeof answer.Confidence).toBe('number');
    expect([answer.IsAnomalous, answer.Confidence]).toEqual([true, 0.93]);
    expect(answer.Anomalies).toEqual(answer.detection.Anomalies);
  });

  it('answers POST /detect-anomalies in the Lookout for Vision DetectAnomalies shape, 200 whether new or seen before', async () => {
    // Prepare
    const compat = (body: string, headers: Record<string, string> = {}) =>
      inspectHandler()(apiEvent({ resource: '/detect-anomalies', path: '/detect-anomalies', headers, body }), lambdaContext);
    const upload = JSON.stringify({ image: `data:image/jpeg;base64,${distinctJpegs[2]!.toString('base64')}` });

    // Act
    const first = await compat(upload, { 'Content-Type': 'text/plain;charset=UTF-8' });
    const again = await compat(upload);
    const refused = await compat(JSON.stringify({ image: Buffer.from('GIF89a-not-a-wafer').toString('base64') }), { 'Content-Type': 'text/plain' });

    // Assess
    const answer = JSON.parse(first.body);
    expect(first.statusCode).toBe(200);
    expect(answer).toEqual({
      DetectAnomalyResult: {
        Source: { Type: 'direct' },
        IsAnomalous: true,
        Confidence: 0.93,
        Anomalies: verdict(true, 0.93).Anomalies,
        AnomalyMask: Buffer.from([0x89, 0x50]).toString('base64'),
      },
      IsAnomalous: true,
      Confidence: 0.93,
      inspectionId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
    });
    expect(store.records.get(answer.inspectionId)?.status).toBe('anomalous');
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toEqual(answer);
    expect((detector as ScriptedDetector).calls).toBe(1);
    // Errors stay the API's JSON errors.
    expect(refused.statusCode).toBe(415);
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'UNSUPPORTED_IMAGE_TYPE', message: expect.any(String) } });
  });

  it('answers 503 ALERT_QUEUE_UNAVAILABLE with the id of the stored verdict when the alert cannot be queued; the same image sent again queues it', async () => {
    // Prepare
    alerts.failNext = 1;

    // Act
    const refused = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);
    const { error } = JSON.parse(refused.body);
    const retried = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);

    // Assess
    expect(refused.statusCode).toBe(503);
    expect(error).toMatchObject({ code: 'ALERT_QUEUE_UNAVAILABLE', message: expect.any(String), inspectionId: expect.any(String) });
    expect(retried.statusCode).toBe(200);
    expect(JSON.parse(retried.body)).toMatchObject({ inspectionId: error.inspectionId, status: 'anomalous', alert: { status: 'queued' } });
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([error.inspectionId]);
    expect(store.records.get(error.inspectionId)?.alert.status).toBe('queued');
    expect((detector as ScriptedDetector).calls).toBe(1);
  });

  it.each([
    ['garbage bytes', Buffer.from('GIF89a-not-a-wafer'), 415, 'UNSUPPORTED_IMAGE_TYPE'],
    ['a truncated JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), 422, 'CORRUPT_IMAGE'],
  ])('maps %s to a %i JSON error and stores nothing', async (_name, bytes, status, code) => {
    const response = await inspectHandler()(rawUploadEvent(bytes), lambdaContext);
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ error: { code, message: expect.any(String) } });
    expect(store.objects.size + store.records.size).toBe(0);
  });

  it('answers 503 DETECTOR_UNAVAILABLE with Retry-After and the id of the kept image', async () => {
    detector = new ScriptedDetector(() => {
      throw new DetectorUnavailableError('The anomaly detection model is not running.', 42);
    });
    const response = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('42');
    const { error } = JSON.parse(response.body);
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    expect(store.records.get(error.inspectionId)?.status).toBe('not-inspected');
  });

  it('turns an unexpected failure into a 500 naming only the request id', async () => {
    detector = new ScriptedDetector(() => {
      throw new TypeError('secret internal detail at /var/task/x.js:1');
    });
    const response = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String), requestId: 'aws-request-1' } });
    expect(response.body).not.toContain('secret');
    expect(logger.lines.some((line) => JSON.stringify(line).includes('secret internal detail'))).toBe(true);
  });
});
