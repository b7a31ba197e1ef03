import AWSXRay from 'aws-xray-sdk-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createObservability, createRequestObserver, withObservability } from '../../../functions/adapters/observability/observability';
import { lambdaContext } from '../../fixtures/api-events';

describe('tracing an invocation', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('opens a handler subsegment under Lambda\'s segment, puts the inspection id there, and closes it', async () => {
    // Prepare: the environment Lambda gives a traced function, and the segment its runtime would have opened.
    vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
    vi.stubEnv('_HANDLER', 'inspect-image.handler');
    const observability = createObservability({ stage: 'test' });
    const observer = createRequestObserver(observability);
    const lambdaSegment = new AWSXRay.Segment('waferwatch-test-inspectImage');
    const handler = withObservability(async () => {
      observer.inspectionStarted('01JTESTINSPECTION000000000');
      return 'done';
    }, observability);

    // Act
    const result = await AWSXRay.getNamespace().runPromise(async () => {
      AWSXRay.setSegment(lambdaSegment);
      return handler({}, lambdaContext);
    });

    // Assess
    expect(observability.tracer.isTracingEnabled()).toBe(true);
    expect(result).toBe('done');
    const [subsegment, ...others] = lambdaSegment.subsegments ?? [];
    expect(others).toEqual([]);
    expect(subsegment?.name).toBe('## inspect-image.handler');
    expect((subsegment as unknown as { annotations: Record<string, unknown> }).annotations).toEqual({
      ColdStart: expect.any(Boolean),
      Service: 'waferwatch',
      inspectionId: '01JTESTINSPECTION000000000',
    });
    expect((subsegment as unknown as { in_progress?: boolean }).in_progress).toBeFalsy();
  });

  it('is a no-op outside Lambda', async () => {
    // Prepare
    const observability = createObservability({ stage: 'test' });
    const handler = withObservability(async () => 'done', observability);

    // Act
    const result = await handler({}, lambdaContext);

    // Assess
    expect(observability.tracer.isTracingEnabled()).toBe(false);
    expect(result).toBe('done');
  });
});
