import 'aws-sdk-client-mock-vitest/extend';
import {
  InternalDependencyException,
  InternalFailure,
  InvokeEndpointCommand,
  ModelError,
  ModelNotReadyException,
  SageMakerRuntimeClient,
  SageMakerRuntimeServiceException,
  ServiceUnavailable,
  ValidationError,
  type InvokeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseModelAnswer, SageMakerDetector } from '../../../../functions/adapters/sagemaker/sagemaker-detector';
import { DetectorUnavailableError } from '../../../../functions/core/errors';
import type { ValidatedWaferImage } from '../../../../functions/core/wafer-image';

const sagemaker = mockClient(SageMakerRuntimeClient);
const ACCOUNT = '123456789012';
const ENDPOINT = 'wafer-defects-litho';
const image: ValidatedWaferImage = {
  bytes: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
  format: 'jpeg',
  contentType: 'image/jpeg',
  width: 256,
  height: 256,
  sizeBytes: 4,
  sha256: '00'.repeat(32),
};
const meta = { $metadata: {} };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);

/** InvokeEndpoint's answer: the model's raw output as bytes, as the SDK hands it over. */
function answer(output: unknown, variant = 'AllTraffic'): Partial<InvokeEndpointCommandOutput> {
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  return { Body: new TextEncoder().encode(text) as InvokeEndpointCommandOutput['Body'], ContentType: 'application/json', InvokedProductionVariant: variant };
}

async function unavailable(detector: SageMakerDetector): Promise<DetectorUnavailableError> {
  const error = await detector.detect(image).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DetectorUnavailableError);
  return error as DetectorUnavailableError;
}

function withHeaders<E extends object>(error: E, headers: Record<string, string>): E {
  Object.defineProperty(error, '$response', { value: { statusCode: 400, headers }, enumerable: false });
  return error;
}

describe('SageMakerDetector', () => {
  let detector: SageMakerDetector;

  beforeEach(() => {
    sagemaker.reset();
    detector = new SageMakerDetector({ client: new SageMakerRuntimeClient({ region: 'eu-west-1' }), endpointName: ENDPOINT });
  });

  it("sends InvokeEndpoint to the configured endpoint with the image's bytes and its proven content type, asking for JSON", async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves(answer({ IsAnomalous: false, Confidence: 0.91 }));

    // Act
    await detector.detect(image);

    // Assess
    expect(sagemaker).toReceiveCommandExactlyOnceWith(InvokeEndpointCommand, {
      EndpointName: ENDPOINT,
      Body: image.bytes,
      ContentType: 'image/jpeg',
      Accept: 'application/json',
    });
  });

  it('sends the configured content type instead when one is set', async () => {
    // Prepare
    const fixed = new SageMakerDetector({
      client: new SageMakerRuntimeClient({ region: 'eu-west-1' }),
      endpointName: ENDPOINT,
      contentType: 'application/x-image',
    });
    sagemaker.on(InvokeEndpointCommand).resolves(answer({ IsAnomalous: false, Confidence: 0.91 }));

    // Act
    await fixed.detect(image);

    // Assess
    expect(sagemaker).toReceiveCommandWith(InvokeEndpointCommand, { ContentType: 'application/x-image' });
  });

  it("maps the Marketplace model's flat answer and names the endpoint and variant that judged", async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves(answer({ Source: { Type: 'direct' }, IsAnomalous: true, Confidence: 0.9378743361326908 }, 'blue'));

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result).toEqual({
      IsAnomalous: true,
      Confidence: 0.9378743361326908,
      Anomalies: [],
      Detector: { name: 'sagemaker', modelVersion: `${ENDPOINT}/blue` },
    });
  });

  it("accepts DetectAnomalies' nesting with segmentation fields: areas from fractions to percent, the base64 mask decoded", async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves(
      answer({
        DetectAnomalyResult: {
          IsAnomalous: true,
          Confidence: 0.87,
          Anomalies: [
            { Name: 'background', PixelAnomaly: { TotalPercentageArea: 0.9875, Color: '#000000' } },
            { Name: 'scratch', PixelAnomaly: { TotalPercentageArea: 0.0125, Color: '#FF0000' } },
            { Name: 'particle' },
          ],
          AnomalyMask: PNG.toString('base64'),
        },
      }),
    );

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.Anomalies).toEqual([
      { Name: 'background', PixelAnomaly: { TotalPercentageArea: 98.75, Color: '#000000' } },
      { Name: 'scratch', PixelAnomaly: { TotalPercentageArea: 1.25, Color: '#FF0000' } },
      { Name: 'particle' },
    ]);
    expect(Buffer.from(result.AnomalyMask!).equals(PNG)).toBe(true);
  });

  it('names the endpoint alone when the answer does not say which variant answered', async () => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves({ ...answer({ IsAnomalous: false, Confidence: 0.5 }), InvokedProductionVariant: undefined });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result.Detector).toEqual({ name: 'sagemaker', modelVersion: ENDPOINT });
  });

  it.each([
    ['an empty body', '', 'the answer is empty'],
    ['text that is not JSON', 'Internal error', 'the answer is not JSON'],
    ['a JSON list', '[true, 0.9]', 'the answer is not a JSON object'],
    ['no verdict', { Confidence: 0.9 }, 'IsAnomalous is missing or not true/false'],
    ['a verdict in words', { IsAnomalous: 'true', Confidence: 0.9 }, 'IsAnomalous is missing or not true/false'],
    ['no confidence', { IsAnomalous: true }, 'Confidence is missing or not a number from 0 to 1'],
    ['a confidence above 1', { IsAnomalous: true, Confidence: 97 }, 'Confidence is missing or not a number from 0 to 1'],
    ['a confidence as text', { IsAnomalous: true, Confidence: '0.9' }, 'Confidence is missing or not a number from 0 to 1'],
    ['Anomalies that are not a list', { IsAnomalous: true, Confidence: 0.9, Anomalies: 'scratch' }, 'Anomalies is not a list'],
    ['a mask that is not base64', { IsAnomalous: true, Confidence: 0.9, AnomalyMask: 'not base64!' }, 'AnomalyMask is not a base64 string'],
    [
      'a mask that is not a PNG',
      { IsAnomalous: true, Confidence: 0.9, AnomalyMask: Buffer.from('GIF89a').toString('base64') },
      'AnomalyMask is not a PNG image',
    ],
    ['a nested answer without a verdict', { DetectAnomalyResult: { Confidence: 0.9 } }, 'IsAnomalous is missing or not true/false'],
  ])('refuses %s as a malformed answer, saying what is wrong', async (_label, output, problem) => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).resolves(answer(output));

    // Act
    const error = await unavailable(detector);

    // Assess
    expect(error.details).toEqual({ detector: 'sagemaker', reason: 'malformed-answer' });
    expect(error.message).toBe(`The anomaly detector gave an answer that cannot be read: ${problem}.`);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it('refuses a body that is not UTF-8 and an absent body', () => {
    // Act + Assess
    expect(() => parseModelAnswer(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(/not JSON/);
    expect(() => parseModelAnswer(undefined)).toThrow(/empty/);
  });

  it('ignores an empty or null mask', () => {
    // Act + Assess
    expect(parseModelAnswer(Buffer.from(JSON.stringify({ IsAnomalous: false, Confidence: 1, AnomalyMask: '' })))).toEqual({
      IsAnomalous: false,
      Confidence: 1,
      Anomalies: [],
    });
    expect(parseModelAnswer(Buffer.from(JSON.stringify({ IsAnomalous: false, Confidence: 0, AnomalyMask: null }))).AnomalyMask).toBeUndefined();
  });

  const notFound = `Endpoint ${ENDPOINT} of account ${ACCOUNT} not found.`;
  const modelErrorMessage = (status: number) =>
    `Received server error (${status}) from primary with message "boom". See https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEventViewer:group=/aws/sagemaker/Endpoints/${ENDPOINT} in account ${ACCOUNT} for more information.`;
  const logStream = `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${ENDPOINT}`;

  it.each([
    ['ValidationError for an unknown endpoint', new ValidationError({ ...meta, message: notFound, Message: notFound }), 'endpoint-not-found', undefined, {}],
    [
      'any other ValidationError',
      new ValidationError({ ...meta, message: 'Request payload size exceeds the limit', Message: 'Request payload size exceeds the limit' }),
      'request-rejected',
      undefined,
      {},
    ],
    [
      'ThrottlingException (not modelled: a generic service exception by name)',
      new SageMakerRuntimeServiceException({ name: 'ThrottlingException', $fault: 'client', ...meta, message: 'Rate exceeded' }),
      'throttled',
      1,
      {},
    ],
    [
      'ThrottlingException with a Retry-After header',
      withHeaders(new SageMakerRuntimeServiceException({ name: 'ThrottlingException', $fault: 'client', ...meta, message: 'Rate exceeded' }), {
        'retry-after': '4',
      }),
      'throttled',
      4,
      {},
    ],
    [
      'ModelNotReadyException',
      new ModelNotReadyException({ ...meta, message: `Model for endpoint ${ENDPOINT} is not ready`, Message: 'not ready' }),
      'model-not-ready',
      5,
      {},
    ],
    [
      'ModelError from a failing container',
      new ModelError({
        ...meta,
        message: modelErrorMessage(500),
        Message: modelErrorMessage(500),
        OriginalStatusCode: 500,
        OriginalMessage: 'boom',
        LogStreamArn: logStream,
      }),
      'model-error',
      undefined,
      { modelStatusCode: 500 },
    ],
    [
      'ModelError from a busy container (503)',
      new ModelError({
        ...meta,
        message: modelErrorMessage(503),
        Message: modelErrorMessage(503),
        OriginalStatusCode: 503,
        OriginalMessage: 'busy',
        LogStreamArn: logStream,
      }),
      'model-error',
      1,
      { modelStatusCode: 503 },
    ],
    [
      'ModelError without a status',
      new ModelError({ ...meta, message: 'Received server error', Message: 'Received server error' }),
      'model-error',
      undefined,
      {},
    ],
    ['ServiceUnavailable', new ServiceUnavailable({ ...meta, message: 'The service is unavailable', Message: 'x' }), 'service-error', undefined, {}],
    [
      'InternalFailure with a Retry-After header',
      withHeaders(new InternalFailure({ ...meta, message: 'An internal failure occurred', Message: 'x' }), { 'retry-after': '2' }),
      'service-error',
      2,
      {},
    ],
    ['InternalDependencyException', new InternalDependencyException({ ...meta, message: 'dependency', Message: 'x' }), 'service-error', undefined, {}],
    [
      'AccessDeniedException',
      new SageMakerRuntimeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        ...meta,
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/x is not authorized to perform: sagemaker:InvokeEndpoint on resource: arn:aws:sagemaker:eu-west-1:${ACCOUNT}:endpoint/${ENDPOINT}`,
      }),
      'access-denied',
      undefined,
      {},
    ],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), 'network', undefined, {}],
    ['a timeout', Object.assign(new Error('a request has exceeded the configured 5000 ms requestTimeout'), { name: 'TimeoutError' }), 'network', undefined, {}],
  ])('turns %s into a safe DetectorUnavailableError', async (_label, thrown, reason, retryAfterSeconds, extra) => {
    // Prepare
    sagemaker.on(InvokeEndpointCommand).rejects(thrown);

    // Act
    const error = await unavailable(detector);

    // Assess
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    expect(error.kind).toBe('unavailable');
    expect(error.details).toEqual({ detector: 'sagemaker', reason, ...extra });
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toMatch(/arn:|123456789012|wafer-defects-litho|10\.0\.0\.1|cloudwatch/);
    expect((error as { cause?: unknown }).cause).toBe(thrown);
    expect(Object.keys(error)).not.toContain('cause');
  });
});
