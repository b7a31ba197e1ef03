import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  InvokeEndpointCommand,
  ModelError,
  ModelNotReadyException,
  SageMakerRuntimeClient,
  SageMakerRuntimeServiceException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSageMakerRuntimeClient } from '../../../functions/adapters/sagemaker/sagemaker-runtime-client';
import { loadEmbeddedDetector } from '../../../functions/adapters/embedded-detector/embedded-detector';
import { SageMakerDetector } from '../../../functions/adapters/sagemaker/sagemaker-detector';
import { DetectorUnavailableError } from '../../../functions/core/errors';
import type { ValidatedWaferImage } from '../../../functions/core/wafer-image';
import { RED_MARK_COLOR, RED_MARK_LABEL } from '../../../local/emulators/lookout-vision-emulator';
import { detectorJudge, redMarkJudge, SageMakerRuntimeEmulator } from '../../../local/emulators/sagemaker-runtime-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

const ENDPOINT = 'wafer-defects-litho';
const ACCOUNT = '210987654321';
const ROOT = path.resolve(__dirname, '../../..');

async function detectionError(promise: Promise<unknown>): Promise<DetectorUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DetectorUnavailableError);
  return error as DetectorUnavailableError;
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Nothing of the endpoint, the account or the log group reaches a client. */
function expectNothingNamed(error: DetectorUnavailableError): void {
  expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(new RegExp(`arn:|${ACCOUNT}|${ENDPOINT}|cloudwatch`));
}

function validatedJpeg(bytes: Buffer, width: number, height: number): ValidatedWaferImage {
  return {
    bytes,
    format: 'jpeg',
    contentType: 'image/jpeg',
    width,
    height,
    sizeBytes: bytes.byteLength,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

const emulator = new SageMakerRuntimeEmulator({ endpoints: [{ name: ENDPOINT, variant: 'blue' }], accountId: ACCOUNT, region: 'eu-west-1' });
let client: SageMakerRuntimeClient;
let detector: SageMakerDetector;

beforeAll(async () => {
  await emulator.start();
  client = createSageMakerRuntimeClient({ region: 'eu-west-1', endpoint: emulator.endpoint });
  detector = new SageMakerDetector({ client, endpointName: ENDPOINT });
});

afterEach(() => {
  emulator.clearFaults();
  emulator.resetRequests();
  emulator.setJudge(redMarkJudge);
  emulator.addEndpoint({ name: ENDPOINT, variant: 'blue' });
});

afterAll(async () => {
  client?.destroy();
  await emulator.close();
});

describe('SageMakerDetector against the SageMaker Runtime emulator (the real SDK client on the wire)', () => {
  it('posts the raw image with its content type to the endpoint and maps a verdict with its mask', async () => {
    // Prepare
    const image = await makeTestWaferImage({ width: 100, height: 100, format: 'png', redMarkSide: 5 });

    // Act
    const result = await detector.detect(image);

    // Assess
    const [request] = emulator.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/endpoints/${ENDPOINT}/invocations`);
    expect(request?.headers['content-type']).toBe('image/png');
    expect(request?.headers.accept).toBe('application/json');
    expect(String(request?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/eu-west-1\/sagemaker\/aws4_request/);
    expect(request?.body.equals(image.bytes)).toBe(true);
    expect(result.IsAnomalous).toBe(true);
    expect(result.Confidence).toBeCloseTo(0.775, 4);
    expect(result.Detector).toEqual({ name: 'sagemaker', modelVersion: `${ENDPOINT}/blue` });
    expect(result.Anomalies).toEqual([
      { Name: 'background', PixelAnomaly: { TotalPercentageArea: 99.75, Color: '#000000' } },
      { Name: RED_MARK_LABEL, PixelAnomaly: { TotalPercentageArea: 0.25, Color: RED_MARK_COLOR } },
    ]);
    const mask = await sharp(result.AnomalyMask).raw().toBuffer({ resolveWithObject: true });
    expect([mask.info.width, mask.info.height]).toEqual([100, 100]);
    expect(emulator.invocations()[0]).toMatchObject({ endpointName: ENDPOINT, variant: 'blue', contentType: 'image/png', accept: 'application/json' });
  });

  it("reads the Marketplace model's bare answer for a clean JPEG wafer: normal, no mask", async () => {
    // Prepare
    emulator.setJudge(() => ({ IsAnomalous: false, Confidence: 0.9378 }));
    const image = await makeTestWaferImage({ format: 'jpeg' });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(emulator.requests()[0]?.headers['content-type']).toBe('image/jpeg');
    expect(result).toEqual({ IsAnomalous: false, Confidence: 0.9378, Anomalies: [], Detector: { name: 'sagemaker', modelVersion: `${ENDPOINT}/blue` } });
  });

  it('reads an answer nested as DetectAnomalies nested it', async () => {
    // Prepare
    const nested = new SageMakerRuntimeEmulator({ nested: true });
    await nested.start();
    const nestedClient = createSageMakerRuntimeClient({ region: 'us-east-1', endpoint: nested.endpoint });

    // Act
    const result = await new SageMakerDetector({ client: nestedClient, endpointName: 'waferwatch-defects' }).detect(
      await makeTestWaferImage({ width: 100, height: 100, redMarkSide: 5 }),
    );
    nestedClient.destroy();
    await nested.close();

    // Assess
    expect(result).toMatchObject({ IsAnomalous: true, Detector: { name: 'sagemaker', modelVersion: 'waferwatch-defects/AllTraffic' } });
    expect(result.AnomalyMask).toBeDefined();
  });

  it('sends the configured content type instead of the image type', async () => {
    // Prepare
    const fixed = new SageMakerDetector({ client, endpointName: ENDPOINT, contentType: 'application/x-image' });

    // Act
    await fixed.detect(await makeTestWaferImage({ format: 'png' }));

    // Assess
    expect(emulator.requests()[0]?.headers['content-type']).toBe('application/x-image');
  });

  it('rides out throttling within the SDK retries', async () => {
    // Prepare
    emulator.throttleNext(2);

    // Act
    const result = await detector.detect(await makeTestWaferImage());

    // Assess
    expect(result.IsAnomalous).toBe(false);
    expect(emulator.requests().map((r) => [r.status, r.errorType])).toEqual([
      [400, 'ThrottlingException'],
      [400, 'ThrottlingException'],
      [200, undefined],
    ]);
  });

  it('turns persistent throttling into DetectorUnavailableError with a Retry-After', async () => {
    // Prepare
    emulator.throttleNext(3);

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests()).toHaveLength(3);
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'throttled' });
    expect(error.retryAfterSeconds).toBe(1);
  });

  it('passes on a Retry-After the service sent', async () => {
    // Prepare
    emulator.throttleNext(3, { retryAfterSeconds: 0 });

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(error.retryAfterSeconds).toBe(0);
  });

  it('reports an endpoint that does not exist as unavailable after one attempt, naming neither it nor the account', async () => {
    // Prepare
    emulator.removeEndpoint(ENDPOINT);

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests().map((r) => [r.status, r.errorType])).toEqual([[400, 'ValidationError']]);
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'endpoint-not-found' });
    expect(error.retryAfterSeconds).toBeUndefined();
    expectNothingNamed(error);
  });

  it("reports a failing model container (ModelError 424) at once, with the container's status and nothing of the log group", async () => {
    // Prepare
    emulator.modelErrorNext(1, 500, 'CUDA out of memory');

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests().map((r) => [r.status, r.errorType])).toEqual([[424, 'ModelError']]);
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'model-error', modelStatusCode: 500 });
    expectNothingNamed(error);
    expect(error.message).not.toContain('CUDA');
  });

  it('reports a payload the model cannot read as a model error (400 from the container)', async () => {
    // Prepare
    emulator.setJudge(() => {
      throw new Error('cannot identify image file');
    });

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'model-error', modelStatusCode: 400 });
  });

  it('retries a model that is not ready (429) and then reports it with a Retry-After', async () => {
    // Prepare
    emulator.setEndpointReady(ENDPOINT, false);

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests().map((r) => r.status)).toEqual([429, 429, 429]);
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'model-not-ready' });
    expect(error.retryAfterSeconds).toBe(5);
  });

  it('retries ServiceUnavailable (503) and then gives up with a safe message', async () => {
    // Prepare
    emulator.failNext(3, 'ServiceUnavailable');

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests().map((r) => r.status)).toEqual([503, 503, 503]);
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'service-error' });
  });

  it('never passes an access-denied message (with its ARNs and account) to the client', async () => {
    // Prepare
    emulator.failNext(1, 'AccessDeniedException');

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'access-denied' });
    expectNothingNamed(error);
  });

  it('refuses a model answer without a verdict rather than calling the wafer normal', async () => {
    // Prepare
    emulator.answerNext(1, { Source: { Type: 'direct' }, Confidence: 0.97 });

    // Act
    const error = await detectionError(detector.detect(await makeTestWaferImage()));

    // Assess
    expect(emulator.requests()).toHaveLength(1);
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'malformed-answer' });
    expect(error.message).toContain('IsAnomalous');
  });

  it('gives up on a hung endpoint within the request timeout', async () => {
    // Prepare
    const impatient = createSageMakerRuntimeClient({ region: 'eu-west-1', endpoint: emulator.endpoint, requestTimeoutMs: 200 });
    emulator.hangNext(3);
    const started = Date.now();

    // Act
    const error = await detectionError(new SageMakerDetector({ client: impatient, endpointName: ENDPOINT }).detect(await makeTestWaferImage()));
    impatient.destroy();

    // Assess
    expect(error.details).toMatchObject({ reason: 'network' });
    expect(emulator.requests()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('judges real wafer photos with the embedded detector as its model', async () => {
    // Prepare
    const embedded = new SageMakerRuntimeEmulator({ judge: detectorJudge(loadEmbeddedDetector(readFileSync(path.join(ROOT, 'models/wafer-default.wwm')))) });
    await embedded.start();
    const embeddedClient = createSageMakerRuntimeClient({ region: 'us-east-1', endpoint: embedded.endpoint });
    const viaSageMaker = new SageMakerDetector({ client: embeddedClient, endpointName: 'waferwatch-defects' });
    const photo = async (folder: string, name: string) => {
      const bytes = readFileSync(path.join(ROOT, 'samples/wafer-photos', folder, name));
      const { width, height } = await sharp(bytes).metadata();
      return validatedJpeg(bytes, width, height);
    };

    // Act
    const scratch = await viaSageMaker.detect(await photo('anomalous', 'scratch.jpg'));
    const good = await viaSageMaker.detect(await photo('good', 'wafer.jpg'));
    embeddedClient.destroy();
    await embedded.close();

    // Assess
    expect(scratch.IsAnomalous).toBe(true);
    expect(good.IsAnomalous).toBe(false);
    const mask = await sharp(scratch.AnomalyMask).metadata();
    expect(mask.format).toBe('png');
  });
});

describe('SageMaker Runtime emulator: the wire shapes the SDK parses', () => {
  const invoke = (input: Partial<ConstructorParameters<typeof InvokeEndpointCommand>[0]> = {}) =>
    client.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: Buffer.from('x'), ContentType: 'image/jpeg', ...input }));

  it('answers the raw model output with its content type and the invoked variant', async () => {
    // Prepare
    emulator.setJudge(() => ({ IsAnomalous: true, Confidence: 0.5 }));

    // Act
    const response = await invoke();

    // Assess
    expect(response.ContentType).toBe('application/json');
    expect(response.InvokedProductionVariant).toBe('blue');
    expect(JSON.parse(response.Body.transformToString())).toEqual({ Source: { Type: 'direct' }, IsAnomalous: true, Confidence: 0.5 });
  });

  it('gives ModelError its members: OriginalStatusCode, OriginalMessage, LogStreamArn', async () => {
    // Prepare
    emulator.modelErrorNext(1, 503, 'busy');

    // Act
    const error = await caught(invoke());

    // Assess
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({
      $fault: 'client',
      OriginalStatusCode: 503,
      OriginalMessage: 'busy',
      LogStreamArn: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`,
      $metadata: { httpStatusCode: 424 },
    });
    expect((error as Error).message).toMatch(
      /^Received server error \(503\) from primary with message "busy"\. See https:\/\/eu-west-1\.console\.aws\.amazon\.com/,
    );
  });

  it('answers ValidationError for an unknown or malformed endpoint name, as the API does', async () => {
    // Act
    const unknown = await caught(invoke({ EndpointName: 'no-such-endpoint' }));
    const malformed = await caught(invoke({ EndpointName: 'bad_name' }));

    // Assess
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as Error).message).toBe(`Endpoint no-such-endpoint of account ${ACCOUNT} not found.`);
    expect(malformed).toBeInstanceOf(ValidationError);
    expect((malformed as Error).message).toContain("at 'endpointName' failed to satisfy constraint");
  });

  it('answers ThrottlingException (400), ModelNotReadyException (429) and ServiceUnavailable (503) in their shapes', async () => {
    // Prepare
    const once = new SageMakerRuntimeClient({
      region: 'eu-west-1',
      endpoint: emulator.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    emulator.failNext(1, 'ThrottlingException');
    emulator.failNext(1, 'ModelNotReadyException');
    emulator.failNext(1, 'ServiceUnavailable');
    const send = () => caught(once.send(new InvokeEndpointCommand({ EndpointName: ENDPOINT, Body: Buffer.from('x'), ContentType: 'image/jpeg' })));

    // Act
    const throttled = await send();
    const notReady = await send();
    const unavailable = await send();
    once.destroy();

    // Assess
    // ThrottlingException is not in the service model: a generic service exception, recognised by its name.
    expect(throttled).toBeInstanceOf(SageMakerRuntimeServiceException);
    expect(throttled).toMatchObject({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    expect(notReady).toBeInstanceOf(ModelNotReadyException);
    expect(notReady).toMatchObject({ $metadata: { httpStatusCode: 429 } });
    expect(unavailable).toBeInstanceOf(ServiceUnavailable);
    expect(unavailable).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 503 } });
  });

  it('lets the standard retry strategy retry throttling and a model not ready', async () => {
    // Prepare
    emulator.setJudge(() => ({ IsAnomalous: false, Confidence: 0.9 }));
    emulator.failNext(1, 'ThrottlingException');
    emulator.failNext(1, 'ModelNotReadyException');

    // Act
    const response = await invoke();

    // Assess
    expect(response.InvokedProductionVariant).toBe('blue');
    expect(emulator.requests().map((r) => r.status)).toEqual([400, 429, 200]);
  });
});
