import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPlaceCallDependencies, readPlaceCallConfig } from '../../../functions/wiring/place-call';
import type { PlaceCallResult } from '../../../functions/core/place-operator-call';
import { countCallResult, createObservability, withObservability, type Observability } from '../../../functions/adapters/observability/observability';
import { lambdaContext } from '../../fixtures/api-events';
import { captureOutput, isEmf, metricsOf, type OutputLine } from '../../helpers/captured-output';

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
      withObservability(async () => countCallResult(observability, { result: 'dead-letter', code: 'DAILY_CALL_CAP_REACHED', reason: 'capped' }), observability)({}, lambdaContext),
    );

    // Assess
    expect(emf[0]!.failureCode).toBe('DAILY_CALL_CAP_REACHED');
    expect(emf[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stage']]);
  });

  it('is what the deployed place-call wiring reports each delivery to', async () => {
    // Prepare: the production factory, from a parsed configuration (no AWS call is made to build it)
    const config = readPlaceCallConfig({
      IMAGE_BUCKET: 'waferwatch-images',
      CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
      CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
      CONNECT_SOURCE_PHONE_NUMBER: '+448081570000',
      OPERATOR_PHONE_NUMBER: '+447700900123',
      ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
      ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
      ALERT_STATE_TABLE: 'waferwatch-alert-state',
    });
    const deps = createPlaceCallDependencies(config, observability.logger, observability);

    // Act
    const emf = await emfBlobs(() =>
      withObservability(async () => {
        deps.onResult?.({ result: 'placed', contactId: 'contact-1', contactIds: ['contact-1'], foldedCount: 0 });
        deps.onResult?.({ result: 'escalated', step: 1, contactIds: ['contact-2'] });
        deps.onResult?.({ result: 'unacknowledged', step: 2 });
        deps.onResult?.({ result: 'stale' });
        deps.onResult?.({ result: 'dead-letter', code: 'RETRIES_EXHAUSTED', reason: 'gave up' });
      }, observability)({}, lambdaContext),
    );

    // Assess
    expect(emf).toHaveLength(1);
    expect(Object.keys(metricsOf(emf[0]!)).sort()).toEqual(['AlertsUnacknowledged', 'CallsEscalated', 'CallsFailed', 'CallsPlaced']);
    expect(deps.policy).toMatchObject({ stationCooldownMs: 300_000, dailyCallCap: 100, maxAttempts: 5, ackTimeoutSeconds: 120, escalationLoops: 2 });
  });
});
