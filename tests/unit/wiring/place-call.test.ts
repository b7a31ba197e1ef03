import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability, withObservability, type Observability } from '../../../functions/adapters/observability/observability';
import { createPlaceCallDependencies, readPlaceCallConfig } from '../../../functions/wiring/place-call';
import { lambdaContext } from '../../fixtures/api-events';
import { captureOutput, isEmf, metricsOf, type OutputLine } from '../../helpers/captured-output';

/** The EMF blobs written while `run` runs. */
async function emfBlobs(run: () => Promise<unknown>): Promise<OutputLine[]> {
  return (await captureOutput(run)).lines.filter(isEmf);
}

describe('the place-call wiring', () => {
  let observability: Observability;

  beforeEach(() => {
    // The suite turns EMF output off (vitest.config.ts); these tests read it.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    observability = createObservability({ stage: 'test' });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
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

  it('reads only its own configuration: Connect and the queues, no CORS, detector or image limits', () => {
    // Act
    const config = readPlaceCallConfig({
      IMAGE_BUCKET: 'waferwatch-images',
      CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
      CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
      CONNECT_SOURCE_PHONE_NUMBER: '+448081570000',
      OPERATOR_PHONE_NUMBER: '+447700900123',
      ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
      ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
      ALERT_STATE_TABLE: 'waferwatch-alert-state',
      ALLOWED_ORIGINS: '*',
      DETECTOR: 'not a detector',
      MAX_IMAGE_BYTES: 'lots',
    });

    // Assess
    expect(config).not.toHaveProperty('ALLOWED_ORIGINS');
    expect(config).not.toHaveProperty('DETECTOR');
    expect(config).not.toHaveProperty('MAX_IMAGE_BYTES');
    expect(config).toMatchObject({ CONNECT_CALLS_PER_SECOND: 1, OPERATOR_COUNTRY_PREFIXES: ['+1', '+44'] });
  });
});
