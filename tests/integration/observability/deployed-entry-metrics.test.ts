import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlertServices, type AlertServices } from '../../../local/alert-services';
import { lambdaContext, rawUploadEvent } from '../../fixtures/api-events';
import { alertEnv } from '../../helpers/alert-env';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../../helpers/local-aws-stand-ins';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
type Line = Record<string, any>;

/**
 * The deployed POST /inspections entry module as Lambda loads it (its own container wiring, real SDK clients over the
 * s3rver / Lookout stand-ins, the SQS emulator for the alert queue and dynalite for the image claims), with EMF output
 * on: checks the wiring itself, not a test's copy of it.
 */
describe('the deployed inspect entry emits its metrics and logs', () => {
  let standIns: LocalAwsStandIns;
  let alertServices: AlertServices;
  let inspect: Handler;
  let defectivePng: Buffer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    alertServices = await startAlertServices();
    Object.assign(process.env, standIns.env, alertEnv(alertServices), {
      ALERT_CONFIDENCE_THRESHOLD: '0.5',
      ALLOWED_ORIGINS: 'http://localhost:3000',
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    inspect = (await import('../../../functions/handlers/inspect-image')).handler;
    defectivePng = (await makeTestWaferImage({ format: 'png', width: 160, height: 160, redMarkSide: 24 })).bytes;
  });
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([standIns.close(), alertServices.close()]);
  });

  it('writes one EMF blob (inspection, anomaly, detector latency), queues the alert, and puts the inspection id on every line after it is known', async () => {
    // Prepare
    const chunks: string[] = [];
    const keep = (chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(keep);

    // Act
    let response: APIGatewayProxyResult;
    try {
      response = await inspect(rawUploadEvent(defectivePng, 'image/png'), lambdaContext);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }

    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ status: 'anomalous', alert: { status: 'queued' } });
    // The call is the place-call function's: the upload put exactly its alert on the queue, and rang no one.
    const queued = alertServices.sqs.messages(alertServices.alertQueueUrl);
    expect(queued.map((message) => JSON.parse(message.body))).toEqual([
      { inspectionId: body.inspectionId, stationId: 'default', confidencePercent: expect.any(Number), queuedAt: body.alert.queuedAt },
    ]);
    expect(standIns.connect.calls()).toEqual([]);
    const lines = chunks
      .join('')
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .map((line) => JSON.parse(line) as Line);
    const emf = lines.filter((line) => line._aws !== undefined);
    expect(emf).toHaveLength(1);
    const names = (emf[0]!._aws.CloudWatchMetrics[0].Metrics as Array<{ Name: string }>).map((metric) => metric.Name).sort();
    expect(names).toEqual(['Anomalies', 'DetectorLatency', 'Inspections']);
    expect(emf[0]!.DetectorLatency).toBeGreaterThan(0);
    expect([emf[0]!.service, emf[0]!.stage]).toEqual(['waferwatch', 'local']);
    const logLines = lines.filter((line) => line._aws === undefined && line.message === 'Wafer inspected');
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({ inspectionId: body.inspectionId, function_request_id: 'aws-request-1', service: 'waferwatch' });
  });
});
