import { describe, expect, it } from 'vitest';
import { SAGEMAKER_RUNTIME_REQUEST_TIMEOUT_MS } from '../../../../functions/adapters/aws-clients';
import { createSageMakerRuntimeClient } from '../../../../functions/adapters/sagemaker/sagemaker-runtime-client';
import { SageMakerDetector } from '../../../../functions/adapters/sagemaker/sagemaker-detector';
import { detectorConfig } from '../../../../functions/config/detector';
import { parseEnvironment } from '../../../../functions/config/environment';
import { createSageMakerDetector } from '../../../../functions/wiring/shared/detector';

describe('DETECTOR=sagemaker settings', () => {
  it('requires SAGEMAKER_ENDPOINT_NAME', () => {
    // Act + Assess
    expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'sagemaker' })).toThrow(
      /SAGEMAKER_ENDPOINT_NAME environment variable is not set \(required when DETECTOR=sagemaker\)/,
    );
  });

  it('reads the endpoint name, the local endpoint override and the content type, leaving the content type unset by default', () => {
    // Act
    const minimal = parseEnvironment([detectorConfig], { DETECTOR: 'sagemaker', SAGEMAKER_ENDPOINT_NAME: 'wafer-defects-1' });
    const full = parseEnvironment([detectorConfig], {
      DETECTOR: 'sagemaker',
      SAGEMAKER_ENDPOINT_NAME: 'wafer-defects-1',
      SAGEMAKER_RUNTIME_ENDPOINT: 'http://127.0.0.1:4599',
      SAGEMAKER_CONTENT_TYPE: 'application/x-image',
    });

    // Assess
    expect(minimal).toMatchObject({ DETECTOR: 'sagemaker', SAGEMAKER_ENDPOINT_NAME: 'wafer-defects-1' });
    expect(minimal.SAGEMAKER_CONTENT_TYPE).toBeUndefined();
    expect(full).toMatchObject({ SAGEMAKER_RUNTIME_ENDPOINT: 'http://127.0.0.1:4599', SAGEMAKER_CONTENT_TYPE: 'application/x-image' });
  });

  it('refuses an endpoint ARN or malformed name, a non-URL endpoint and a content type that is not a MIME type', () => {
    // Act + Assess
    for (const env of [
      { SAGEMAKER_ENDPOINT_NAME: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/wafer' },
      { SAGEMAKER_ENDPOINT_NAME: '-wafer' },
      { SAGEMAKER_ENDPOINT_NAME: 'w'.repeat(64) },
      { SAGEMAKER_ENDPOINT_NAME: 'wafer', SAGEMAKER_RUNTIME_ENDPOINT: 'localhost' },
      { SAGEMAKER_ENDPOINT_NAME: 'wafer', SAGEMAKER_CONTENT_TYPE: 'jpeg' },
    ]) {
      expect(() => parseEnvironment([detectorConfig], { DETECTOR: 'sagemaker', ...env }), JSON.stringify(env)).toThrow(/SAGEMAKER_/);
    }
  });

  it('does not ask the other detectors for SageMaker settings', () => {
    // Act + Assess
    expect(parseEnvironment([detectorConfig], {}).DETECTOR).toBe('embedded');
  });
});

describe('createSageMakerRuntimeClient', () => {
  it('keeps standard retries with three attempts and enforces its own request timeout', async () => {
    // Act
    const client = createSageMakerRuntimeClient({ region: 'eu-west-1' });
    const handler = client.config.requestHandler as unknown as { configProvider?: Promise<Record<string, unknown>> };

    // Assess
    expect(await client.config.maxAttempts()).toBe(3);
    expect((await client.config.retryStrategy()) as { mode?: string }).toMatchObject({ mode: 'standard' });
    expect(await handler.configProvider).toMatchObject({ requestTimeout: SAGEMAKER_RUNTIME_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
    client.destroy();
  });

  it('points a client with an endpoint override at it with local credentials', async () => {
    // Act
    const client = createSageMakerRuntimeClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4599' });

    // Assess
    const endpoint = await client.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe('http://127.0.0.1:4599');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'S3RVER' });
    client.destroy();
  });
});

describe('createSageMakerDetector', () => {
  it('builds the SageMaker detector from the settings alone', async () => {
    // Act
    const detector = await createSageMakerDetector({
      AWS_REGION: 'eu-west-1',
      SAGEMAKER_ENDPOINT_NAME: 'wafer-defects-1',
      SAGEMAKER_RUNTIME_ENDPOINT: undefined,
      SAGEMAKER_CONTENT_TYPE: undefined,
    });

    // Assess
    expect(detector).toBeInstanceOf(SageMakerDetector);
  });
});
