import AWSXRay from 'aws-xray-sdk-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlaceCallResult } from '../../../../functions/core/place-operator-call';
import {
  countCallResult,
  createObservability,
  createRequestObserver,
  withObservability,
  type Observability,
} from '../../../../functions/adapters/observability/observability';
import { lambdaContext } from '../../../fixtures/api-events';
import { captureOutput, isEmf, metricsOf, type OutputLine } from '../../../helpers/captured-output';

/** The EMF blobs written while `run` runs. */
async function emfBlobs(run: () => Promise<unknown>): Promise<OutputLine[]> {
  return (await captureOutput(run)).lines.filter(isEmf);
}

/** How each delivery of an alert message can end, as place-call reports it. */
const RESULTS: Array<[PlaceCallResult, string]> = [
  [{ result: 'placed', contactId: 'contact-1', contactIds: ['contact-1', 'contact-2'], foldedCount: 0 }, 'CallsPlaced'],
  [{ result: 'escalated', step: 1, contactIds: ['contact-3'] }, 'CallsEscalated'],
  [{ result: 'unacknowledged', step: 4 }, 'AlertsUnacknowledged'],
  [{ result: 'folded', intoInspectionId: '01KB0000000000000000000000', foldedCount: 2 }, 'CallsFolded'],
  [{ result: 'retry', delaySeconds: 10, reason: 'Amazon Connect throttled the request' }, 'CallsRetried'],
  [{ result: 'dead-letter', code: 'CALL_REFUSED', reason: 'refused' }, 'CallsFailed'],
  [{ result: 'duplicate' }, 'DuplicateAlerts'],
];

describe('place-call metrics', () => {
  let observability: Observability;

  beforeEach(() => {
    // The suite turns EMF output off (vitest.config.ts); these tests read it.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    observability = createObservability({ stage: 'test' });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(RESULTS.map(([result, name]) => [result.result, name, result] as const))('counts a %s delivery as exactly one %s', async (_label, name, result) => {
    // Act
    const emf = await emfBlobs(() => withObservability(async () => countCallResult(observability, result), observability)({}, lambdaContext));

    // Assess
    expect(emf).toHaveLength(1);
    expect(Object.keys(metricsOf(emf[0]!))).toEqual([name]);
    expect(emf[0]![name]).toBe(1);
    expect(emf[0]!._aws.CloudWatchMetrics[0].Namespace).toBe('waferwatch');
    expect(emf[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stage']]);
  });

  it.each<PlaceCallResult>([{ result: 'stale' }, { result: 'rescheduled', delaySeconds: 900 }, { result: 'nothing-to-tell' }])(
    'counts nothing for a $result delivery (a timer with nothing left to do)',
    async (result) => {
      // Act
      const emf = await emfBlobs(() => withObservability(async () => countCallResult(observability, result), observability)({}, lambdaContext));

      // Assess
      expect(emf.flatMap((blob) => Object.keys(metricsOf(blob)))).toEqual([]);
    },
  );

  it('gives a dead-lettered alert its failure code as metadata, not as a dimension the alarms do not name', async () => {
    // Act
    const emf = await emfBlobs(() =>
      withObservability(async () => countCallResult(observability, { result: 'dead-letter', code: 'DAILY_CALL_CAP_REACHED', reason: 'capped' }), observability)(
        {},
        lambdaContext,
      ),
    );

    // Assess
    expect(emf[0]!.failureCode).toBe('DAILY_CALL_CAP_REACHED');
    expect(emf[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stage']]);
  });
});

describe('tracing an invocation', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("opens a handler subsegment under Lambda's segment, puts the inspection id there, and closes it", async () => {
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
