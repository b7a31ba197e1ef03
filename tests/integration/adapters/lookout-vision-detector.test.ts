import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLookoutVisionClient } from '../../../functions/adapters/lookout/lookout-vision-client';
import { LookoutVisionDetector } from '../../../functions/adapters/lookout/lookout-vision-detector';
import { DetectorUnavailableError } from '../../../functions/core/errors';
import { LookoutVisionEmulator, RED_MARK_COLOR, RED_MARK_LABEL, redMarkDecision } from '../../../local/emulators/lookout-vision-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

const PROJECT = 'waferwatch';
const VERSION = '3';

async function detectionError(promise: Promise<unknown>): Promise<DetectorUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DetectorUnavailableError);
  return error as DetectorUnavailableError;
}

describe('LookoutVisionDetector against the Lookout for Vision emulator', () => {
  const emulator = new LookoutVisionEmulator({ models: [{ projectName: PROJECT, modelVersion: VERSION, hosted: true }] });
  let client: ReturnType<typeof createLookoutVisionClient>;
  let detector: LookoutVisionDetector;

  beforeAll(async () => {
    await emulator.start();
    client = createLookoutVisionClient({ region: 'us-east-1', endpoint: emulator.endpoint });
    detector = new LookoutVisionDetector({ client, projectName: PROJECT, modelVersion: VERSION });
  });

  afterEach(() => {
    emulator.clearFaults();
    emulator.resetRequests();
    emulator.setModelHosted(PROJECT, VERSION, true);
    emulator.setDecision(redMarkDecision);
  });

  afterAll(async () => {
    client?.destroy();
    await emulator.close();
  });

  it('sends the raw image bytes with their content type to the model path and maps a segmentation verdict', async () => {
    // Prepare
    const image = await makeTestWaferImage({ width: 100, height: 100, format: 'png', redMarkSide: 5 });

    // Act
    const result = await detector.detect(image);

    // Assess
    const [request] = emulator.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/2020-11-20/projects/${PROJECT}/models/${VERSION}/detect`);
    expect(request?.headers['content-type']).toBe('image/png');
    expect(request?.body.equals(image.bytes)).toBe(true);
    expect(result.IsAnomalous).toBe(true);
    expect(result.Confidence).toBeCloseTo(0.775, 4);
    expect(result.Detector).toEqual({ name: 'lookoutvision', modelVersion: VERSION });
    // 25 of 10,000 pixels are red: Lookout's fraction 0.0025 becomes 0.25 %.
    expect(result.Anomalies).toEqual([
      { Name: 'background', PixelAnomaly: { TotalPercentageArea: 99.75, Color: '#000000' } },
      { Name: RED_MARK_LABEL, PixelAnomaly: { TotalPercentageArea: 0.25, Color: RED_MARK_COLOR } },
    ]);
    const mask = await sharp(result.AnomalyMask).raw().toBuffer({ resolveWithObject: true });
    expect([mask.info.width, mask.info.height]).toEqual([100, 100]);
  });

  it('reports a clean JPEG wafer as normal without a mask', async () => {
    // Prepare
    const image = await makeTestWaferImage({ format: 'jpeg' });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(emulator.requests()[0]?.headers['content-type']).toBe('image/jpeg');
    expect(result).toMatchObject({ IsAnomalous: false, Confidence: 0.95 });
    expect(result.AnomalyMask).toBeUndefined();
  });

  it('defaults Anomalies to [] when a classification model returns none', async () => {
    // Prepare
    emulator.setDecision(() => ({ IsAnomalous: true, Confidence: 0.88 }));
    const image = await makeTestWaferImage();

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result).toEqual({ IsAnomalous: true, Confidence: 0.88, Anomalies: [], Detector: { name: 'lookoutvision', modelVersion: VERSION } });
  });

  it('rides out throttling within the SDK retries', async () => {
    // Prepare
    emulator.failNext(2, 'ThrottlingException', { retryAfterSeconds: 0 });
    const image = await makeTestWaferImage();

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.IsAnomalous).toBe(false);
    expect(emulator.requests().map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('turns persistent throttling into DetectorUnavailableError carrying the Retry-After', async () => {
    // Prepare
    emulator.failNext(3, 'ThrottlingException', { retryAfterSeconds: 1 });
    const image = await makeTestWaferImage();

    // Act
    const error = await detectionError(detector.detect(image));

    // Assess
    expect(emulator.requests()).toHaveLength(3);
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    expect(error.kind).toBe('unavailable');
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.details).toEqual({ detector: 'lookoutvision', reason: 'throttled' });
  });

  it('reports a model that is not hosted as unavailable after one attempt, without naming the model', async () => {
    // Prepare
    emulator.setModelHosted(PROJECT, VERSION, false);
    const image = await makeTestWaferImage();

    // Act
    const error = await detectionError(detector.detect(image));

    // Assess
    expect(emulator.requests().map((r) => [r.status, r.errorType])).toEqual([[409, 'ConflictException']]);
    expect(error.details).toEqual({ detector: 'lookoutvision', reason: 'model-not-running' });
    expect(error.message).not.toContain(PROJECT);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it('reports an unknown model version as unavailable', async () => {
    // Prepare
    const wrongVersion = new LookoutVisionDetector({ client, projectName: PROJECT, modelVersion: '99' });

    // Act
    const error = await detectionError(wrongVersion.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests()[0]?.status).toBe(404);
    expect(error.details).toMatchObject({ reason: 'model-not-found' });
  });

  it('retries an internal error and then gives up with a safe message', async () => {
    // Prepare
    emulator.failNext(3, 'InternalServerException', { retryAfterSeconds: null });

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests().map((r) => r.status)).toEqual([500, 500, 500]);
    expect(error.details).toMatchObject({ reason: 'service-error' });
  });

  it('never passes an access-denied message (with its ARN and account) to the client', async () => {
    // Prepare
    emulator.failNext(1, 'AccessDeniedException');

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(error.details).toMatchObject({ reason: 'access-denied' });
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(/arn:|123456789012/);
  });

  it('gives up on a hung model within the request timeout', async () => {
    // Prepare
    const impatient = createLookoutVisionClient({ region: 'us-east-1', endpoint: emulator.endpoint, requestTimeoutMs: 200 });
    const hungDetector = new LookoutVisionDetector({ client: impatient, projectName: PROJECT, modelVersion: VERSION });
    emulator.hangNext(3);
    const started = Date.now();

    // Act
    const error = await detectionError(hungDetector.detect(await makeTestWaferImage()));
    impatient.destroy();

    // Assess
    expect(error.details).toMatchObject({ reason: 'network' });
    expect(emulator.requests()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
