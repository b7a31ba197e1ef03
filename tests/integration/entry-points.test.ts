import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAlertServices } from '../../local/alert-services';
import { alertEnv } from '../helpers/alert-env';

const validEnv = {
  IMAGE_BUCKET: 'waferwatch-images',
  CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
  CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
  OPERATOR_PHONE_NUMBER: '+447700900123',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

describe('Lambda entry points', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.each(['inspect-image', 'get-inspection', 'list-inspections'])('%s fails its cold start naming a missing variable', async (name) => {
    for (const [key, value] of Object.entries(validEnv)) vi.stubEnv(key, value);
    vi.stubEnv('IMAGE_BUCKET', undefined);
    await expect(import(`../../functions/handlers/${name}.ts`)).rejects.toThrow(/IMAGE_BUCKET environment variable is not set/);
  });

  it('inspect-image keeps the image as not inspected and answers 503 when the embedded model cannot be loaded', async () => {
    // Prepare: real S3 (s3rver) but a model path that does not exist.
    const { startLocalAwsStandIns } = await import('../helpers/local-aws-stand-ins');
    const standIns = await startLocalAwsStandIns();
    // The image claims (dynalite) and the alert queue (the SQS emulator): the pipeline checks the bytes before detecting.
    const alertServices = await startAlertServices();
    try {
      for (const [key, value] of Object.entries({
        ...standIns.env,
        ...alertEnv(alertServices),
        DETECTOR: 'embedded',
        EMBEDDED_MODEL_URI: '/nonexistent/model.wwm',
      }))
        vi.stubEnv(key, value);
      const { handler } = await import('../../functions/handlers/inspect-image');
      const { handler: getInspection } = await import('../../functions/handlers/get-inspection');
      const { apiEvent, rawUploadEvent, lambdaContext } = await import('../fixtures/api-events');
      const { syntheticWafer } = await import('../fixtures/wafer-images');
      // Act
      const response = await handler(rawUploadEvent(await syntheticWafer('png')), lambdaContext);
      // Assess
      expect(response.statusCode).toBe(503);
      const { error } = JSON.parse(response.body);
      expect(error.code).toBe('DETECTOR_UNAVAILABLE');
      const record = await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: error.inspectionId } }), lambdaContext);
      expect(JSON.parse(record.body)).toMatchObject({ status: 'not-inspected', detectionError: { code: 'DETECTOR_UNAVAILABLE' } });
    } finally {
      await Promise.all([standIns.close(), alertServices.close()]);
    }
  });
});
