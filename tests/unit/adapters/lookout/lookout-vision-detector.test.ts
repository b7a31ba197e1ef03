import 'aws-sdk-client-mock-vitest/extend';
import {
  AccessDeniedException,
  ConflictException,
  DetectAnomaliesCommand,
  InternalServerException,
  LookoutVisionClient,
  LookoutVisionServiceException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-lookoutvision';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LookoutVisionDetector } from '../../../../functions/adapters/lookout/lookout-vision-detector';
import { DetectorUnavailableError } from '../../../../functions/core/errors';
import type { ValidatedWaferImage } from '../../../../functions/core/wafer-image';

const lookout = mockClient(LookoutVisionClient);
const ARN = 'arn:aws:lookoutvision:eu-west-1:123456789012:model/wafer-line-4/2';
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

async function unavailable(detector: LookoutVisionDetector): Promise<DetectorUnavailableError> {
  const error = await detector.detect(image).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DetectorUnavailableError);
  return error as DetectorUnavailableError;
}

describe('LookoutVisionDetector', () => {
  let detector: LookoutVisionDetector;

  beforeEach(() => {
    lookout.reset();
    detector = new LookoutVisionDetector({ client: new LookoutVisionClient({ region: 'eu-west-1' }), projectName: 'wafer-line-4', modelVersion: '2' });
  });

  it('sends DetectAnomalies with the configured project and version, the bytes and their proven content type', async () => {
    // Prepare
    lookout.on(DetectAnomaliesCommand).resolves({ DetectAnomalyResult: { IsAnomalous: false, Confidence: 0.91 } });

    // Act
    await detector.detect(image);

    // Assess
    expect(lookout).toReceiveCommandExactlyOnceWith(DetectAnomaliesCommand, {
      ProjectName: 'wafer-line-4',
      ModelVersion: '2',
      Body: image.bytes,
      ContentType: 'image/jpeg',
    });
  });

  it('maps a segmentation result: areas from fractions to percent, the mask kept, the detector named', async () => {
    // Prepare
    const mask = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    lookout.on(DetectAnomaliesCommand).resolves({
      DetectAnomalyResult: {
        Source: { Type: 'direct' },
        IsAnomalous: true,
        Confidence: 0.87,
        Anomalies: [
          { Name: 'background', PixelAnomaly: { TotalPercentageArea: 0.9875, Color: '#FFFFFF' } },
          { Name: 'scratch', PixelAnomaly: { TotalPercentageArea: 0.0125, Color: '#23A436' } },
          { Name: 'particle' },
        ],
        AnomalyMask: mask,
      },
    });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result).toEqual({
      IsAnomalous: true,
      Confidence: 0.87,
      Anomalies: [
        { Name: 'background', PixelAnomaly: { TotalPercentageArea: 98.75, Color: '#FFFFFF' } },
        { Name: 'scratch', PixelAnomaly: { TotalPercentageArea: 1.25, Color: '#23A436' } },
        { Name: 'particle' },
      ],
      AnomalyMask: mask,
      Detector: { name: 'lookoutvision', modelVersion: '2' },
    });
  });

  it('defaults Anomalies to [] and omits an absent mask for a classification model', async () => {
    // Prepare
    lookout.on(DetectAnomaliesCommand).resolves({ DetectAnomalyResult: { IsAnomalous: false, Confidence: 0.99 } });

    // Act
    const result = await detector.detect(image);

    // Assess
    expect(result).toEqual({ IsAnomalous: false, Confidence: 0.99, Anomalies: [], Detector: { name: 'lookoutvision', modelVersion: '2' } });
  });

  it('refuses to guess when the verdict or confidence is missing', async () => {
    // Prepare
    lookout
      .on(DetectAnomaliesCommand)
      .resolvesOnce({})
      .resolvesOnce({ DetectAnomalyResult: { IsAnomalous: true } });

    // Act
    const first = await unavailable(detector);
    const second = await unavailable(detector);

    // Assess
    expect(first.details).toMatchObject({ reason: 'incomplete-result' });
    expect(second.details).toMatchObject({ reason: 'incomplete-result' });
  });

  it.each([
    [
      'ThrottlingException with RetryAfterSeconds',
      new ThrottlingException({ ...meta, message: `Rate exceeded for ${ARN}`, Message: `Rate exceeded for ${ARN}`, RetryAfterSeconds: 7 }),
      'throttled',
      7,
    ],
    ['ThrottlingException without a hint', new ThrottlingException({ ...meta, message: 'Rate exceeded', Message: 'Rate exceeded' }), 'throttled', 1],
    [
      'ConflictException (model not hosted)',
      new ConflictException({ ...meta, message: `Model ${ARN} is not hosted`, Message: `Model ${ARN} is not hosted`, ResourceId: ARN, ResourceType: 'MODEL' }),
      'model-not-running',
      undefined,
    ],
    [
      'ResourceNotFoundException',
      new ResourceNotFoundException({ ...meta, message: `${ARN} not found`, Message: `${ARN} not found`, ResourceId: ARN, ResourceType: 'MODEL' }),
      'model-not-found',
      undefined,
    ],
    [
      'ServiceQuotaExceededException',
      new ServiceQuotaExceededException({ ...meta, message: 'quota', Message: 'quota', QuotaCode: 'L-1', ServiceCode: 'lookoutvision' }),
      'quota-exceeded',
      undefined,
    ],
    [
      'InternalServerException with RetryAfterSeconds',
      new InternalServerException({ ...meta, message: 'oops', Message: 'oops', RetryAfterSeconds: 3 }),
      'service-error',
      3,
    ],
    [
      'AccessDeniedException',
      new AccessDeniedException({ ...meta, message: `User arn:aws:sts::123456789012:assumed-role/x is not authorized on ${ARN}`, Message: 'denied' }),
      'access-denied',
      undefined,
    ],
    [
      'ValidationException on an accepted image',
      new ValidationException({ ...meta, message: 'Image dimensions do not match the model', Message: 'Image dimensions do not match the model' }),
      'image-rejected',
      undefined,
    ],
    [
      'an unknown service exception',
      new LookoutVisionServiceException({ name: 'BrandNewException', $fault: 'server', ...meta, message: ARN }),
      'service-error',
      undefined,
    ],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' }), 'network', undefined],
    ['a timeout', Object.assign(new Error('a request has exceeded the configured 4000 ms requestTimeout'), { name: 'TimeoutError' }), 'network', undefined],
  ])('turns %s into a safe DetectorUnavailableError', async (_label, thrown, reason, retryAfterSeconds) => {
    // Prepare
    lookout.on(DetectAnomaliesCommand).rejects(thrown);

    // Act
    const error = await unavailable(detector);

    // Assess
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    expect(error.kind).toBe('unavailable');
    expect(error.details).toEqual({ detector: 'lookoutvision', reason });
    expect(error.retryAfterSeconds).toBe(retryAfterSeconds);
    expect(`${error.message} ${JSON.stringify(error.details)}`).not.toMatch(/arn:|123456789012|wafer-line-4|10\.0\.0\.1/);
    expect((error as { cause?: unknown }).cause).toBe(thrown);
    expect(Object.keys(error)).not.toContain('cause');
  });
});
