import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { incomingKey } from '../../../functions/core/camera-upload';
import type { Detector } from '../../../functions/core/ports/detector';
import { DetectorUnavailableError } from '../../../functions/core/errors';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import {
  createObservability,
  createRequestObserver,
  inspectionMetrics,
  timedDetector,
  withObservability,
  type Observability,
} from '../../../functions/adapters/observability/observability';
import { createInspectImageHandler } from '../../../functions/adapters/http/inspect-image-route';
import { createCameraUploadQueueHandler } from '../../../functions/adapters/sqs/process-camera-upload-handler';
import { lambdaContext, rawUploadEvent } from '../../fixtures/api-events';
import { captureOutput, isEmf, metricsOf } from '../../helpers/captured-output';
import { InMemoryCameraUploads, InMemoryImageClaims, InMemoryInspectionStore, RecordingAlertPublisher, ScriptedDetector, verdict } from '../../fixtures/fakes';
import { syntheticWafer } from '../../fixtures/wafer-images';
import { SharpImageDecoder } from '../../../functions/adapters/image-decoding/sharp-image-decoder';

const ALERT_POLICY = { confidenceThreshold: 0.5, reviewThreshold: 0.3 };
const LIMITS = { maxBytes: 1 << 20, minSide: 64, maxSide: 4096 };
const OPERATOR_NUMBER = '+447700900123';

/** A clock that advances `step` ms on each reading, so the detector's latency is known. */
function steppingClock(step: number): () => number {
  let now = 1_000;
  return () => {
    const reading = now;
    now += step;
    return reading;
  };
}

describe('observability of one inspection', () => {
  let jpeg: Buffer;
  let store: InMemoryInspectionStore;
  let alerts: RecordingAlertPublisher;
  let imageClaims: InMemoryImageClaims;
  let detector: Detector;
  let observability: Observability;

  beforeAll(async () => {
    jpeg = await syntheticWafer('jpeg', 128, 128);
  });
  beforeEach(() => {
    // The suite turns EMF output off (vitest.config.ts); these tests read it, so they turn it back on.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    observability = createObservability({ stage: 'test' });
    store = new InMemoryInspectionStore();
    alerts = new RecordingAlertPublisher();
    imageClaims = new InMemoryImageClaims();
    detector = new ScriptedDetector(() => verdict(true, 0.93));
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** POST /inspections wired as the entry wires it: counted store, timed detector, observer, flush per invocation. */
  const inspectHandler = () =>
    withObservability(
      createInspectImageHandler(() => ({
        allowedOrigins: [],
        logger: observability.logger,
        observer: createRequestObserver(observability),
        detector: async () => timedDetector(detector, observability.metrics, steppingClock(42)),
        inspection: {
          store,
          events: inspectionMetrics(observability.metrics),
          alerts,
          imageClaims,
          logger: observability.logger,
          alertPolicy: ALERT_POLICY,
          decoder: new SharpImageDecoder(),
          limits: LIMITS,
        },
      })),
      observability,
    );

  it.each([
    ['a normal wafer', () => new ScriptedDetector(() => verdict(false, 0.95)), false, 201, { Inspections: 1, DetectorLatency: 42 }],
    // The call is placed (and counted as CallsPlaced) later, by the place-call function: the upload only queues it.
    [
      'an anomalous wafer whose alert is queued',
      () => new ScriptedDetector(() => verdict(true, 0.93)),
      false,
      201,
      { Inspections: 1, Anomalies: 1, DetectorLatency: 42 },
    ],
    [
      'an anomalous wafer whose alert cannot be queued',
      () => new ScriptedDetector(() => verdict(true, 0.93)),
      true,
      503,
      { Inspections: 1, Anomalies: 1, CallsFailed: 1, DetectorLatency: 42 },
    ],
    ['a wafer needing review', () => new ScriptedDetector(() => verdict(true, 0.4)), false, 201, { Inspections: 1, NeedsReview: 1, DetectorLatency: 42 }],
    [
      'a wafer the detector could not inspect',
      () => new ScriptedDetector(() => Promise.reject(new DetectorUnavailableError('The detector is throttled.'))),
      false,
      503,
      { Inspections: 1, NotInspected: 1, DetectorLatency: 42 },
    ],
  ] as const)('emits exactly one EMF blob for %s, with exactly its metrics', async (_name, makeDetector, queueRefuses, status, expected) => {
    // Prepare
    detector = makeDetector();
    alerts.failNext = queueRefuses ? 1 : 0;

    // Act
    const { result, lines } = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Assess
    expect(result.statusCode).toBe(status);
    const emf = lines.filter(isEmf);
    expect(emf).toHaveLength(1);
    expect(metricsOf(emf[0]!)).toEqual(expected);
    expect(emf[0]!._aws.CloudWatchMetrics[0].Namespace).toBe('waferwatch');
    expect(emf[0]!._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stage']]);
    expect([emf[0]!.service, emf[0]!.stage]).toEqual(['waferwatch', 'test']);
    const latency = (emf[0]!._aws.CloudWatchMetrics[0].Metrics as Array<{ Name: string; Unit: string }>).find((metric) => metric.Name === 'DetectorLatency');
    expect(latency?.Unit).toBe('Milliseconds');
  });

  it('counts an alert that is queued on the second try once as an inspection and once as a failed call', async () => {
    // Prepare
    alerts.failNext = 1;
    const refused = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Act: the client sends the same image again, as the 503 told it to
    const requeued = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Assess
    expect([refused.result.statusCode, requeued.result.statusCode]).toEqual([503, 200]);
    expect(refused.lines.filter(isEmf).map(metricsOf)).toEqual([{ Inspections: 1, Anomalies: 1, CallsFailed: 1, DetectorLatency: 42 }]);
    // The inspection was counted when its verdict was stored; queueing its alert later is not a second inspection.
    expect(requeued.lines.filter(isEmf).map(metricsOf)).toEqual([]);
    expect(alerts.messages).toHaveLength(1);
  });

  it('counts an inspection finished after the detector recovered once, with its verdict', async () => {
    // Prepare
    let available = false;
    detector = new ScriptedDetector(() => (available ? verdict(true, 0.93) : Promise.reject(new DetectorUnavailableError('The detector is throttled.'))));
    const first = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));
    available = true;

    // Act
    const retried = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Assess
    expect([first.result.statusCode, retried.result.statusCode]).toEqual([503, 201]);
    expect(first.lines.filter(isEmf).map(metricsOf)).toEqual([{ Inspections: 1, NotInspected: 1, DetectorLatency: 42 }]);
    expect(retried.lines.filter(isEmf).map(metricsOf)).toEqual([{ Anomalies: 1, DetectorLatency: 42 }]);
  });

  it('counts a refused image as a rejection, not an inspection', async () => {
    // Act
    const { result, lines } = await captureOutput(() => inspectHandler()(rawUploadEvent(Buffer.from('GIF89a-not-a-wafer')), lambdaContext));

    // Assess
    expect(result.statusCode).toBe(415);
    expect(lines.filter(isEmf).map(metricsOf)).toEqual([{ Rejections: 1 }]);
    expect(lines.filter(isEmf)[0]?.rejectionCode).toBe('UNSUPPORTED_IMAGE_TYPE');
  });

  it('writes the inspection id and the Lambda request id on every log line of an upload, masks the number, and forgets the id afterwards', async () => {
    // Prepare: the queue refuses the alert with an error that echoes the operator's number (as a misconfigured
    // queue policy or an SDK message might).
    alerts.publish = () => Promise.reject(new Error(`Queue refused the alert for ${OPERATOR_NUMBER}`));

    // Act
    const { result, lines } = await captureOutput(async () => {
      const response = await inspectHandler()(rawUploadEvent(jpeg), lambdaContext);
      observability.logger.info('The next request', {});
      return response;
    });

    // Assess
    expect(result.statusCode).toBe(503);
    const inspectionId = JSON.parse(result.body).error.inspectionId as string;
    expect(store.records.get(inspectionId)?.alert.status).toBe('not-queued');
    const logLines = lines.filter((line) => !isEmf(line));
    const during = logLines.slice(0, -1);
    expect(during.map((line) => line.message)).toEqual(['Queueing the operator alert failed', 'Request failed on a dependency']);
    for (const line of during) {
      expect(line.inspectionId, line.message).toBe(inspectionId);
      expect(line.function_request_id, line.message).toBe('aws-request-1');
    }
    expect(logLines.at(-1)?.inspectionId).toBeUndefined();
    expect(JSON.stringify(lines)).not.toContain(OPERATOR_NUMBER.slice(1));
    // The failure was logged, with the number masked rather than dropped.
    expect(JSON.stringify(during[0])).toContain('+**********23');
  });

  it("writes the inspection id on the error response's log line when the detector is unavailable", async () => {
    // Prepare
    detector = new ScriptedDetector(() => Promise.reject(new DetectorUnavailableError('The detector is throttled.')));

    // Act
    const { result, lines } = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Assess
    expect(result.statusCode).toBe(503);
    const [inspectionId, ...others] = [...store.records.keys()];
    expect(others).toEqual([]);
    const logLines = lines.filter((line) => !isEmf(line));
    expect(logLines.length).toBeGreaterThanOrEqual(2);
    for (const line of logLines) expect(line.inspectionId, line.message).toBe(inspectionId);
  });

  it('gives each camera upload of a batch its own inspection id on its log lines, and flushes both inspections once', async () => {
    // Prepare
    const uploads = new InMemoryCameraUploads();
    const ids = [newInspectionId(), newInspectionId()];
    // Two different photos: the same bytes twice would be one inspection and an uncounted alias (the next test).
    uploads.objects.set(incomingKey(ids[0]!), { bytes: jpeg });
    uploads.objects.set(incomingKey(ids[1]!), { bytes: await syntheticWafer('jpeg', 130, 128) });

    // Act
    const { result, lines } = await captureOutput(() => cameraHandler(uploads)(cameraEvent(ids), lambdaContext));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    const inspected = lines.filter((line) => line.message === 'Wafer inspected');
    expect(inspected.map((line) => line.inspectionId)).toEqual(ids);
    for (const line of lines.filter((candidate) => !isEmf(candidate))) expect(ids, line.message).toContain(line.inspectionId);
    const emf = lines.filter(isEmf);
    expect(emf).toHaveLength(1);
    // One data point per inspection in the blob; CloudWatch sums them (Inspections Sum = 2).
    expect(metricsOf(emf[0]!)).toEqual({ Inspections: [1, 1], Anomalies: [1, 1], DetectorLatency: [7, 7] });
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual(ids);
  });

  it('counts a camera upload of bytes already inspected once: its alias record adds no inspection, anomaly or alert', async () => {
    // Prepare
    const uploads = new InMemoryCameraUploads();
    const ids = [newInspectionId(), newInspectionId()];
    for (const id of ids) uploads.objects.set(incomingKey(id), { bytes: jpeg });

    // Act
    const { result, lines } = await captureOutput(() => cameraHandler(uploads)(cameraEvent(ids), lambdaContext));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(store.records.get(ids[1]!)).toMatchObject({ duplicateOf: ids[0], alert: { status: 'skipped', reason: 'duplicate' } });
    const emf = lines.filter(isEmf);
    expect(emf).toHaveLength(1);
    expect(metricsOf(emf[0]!)).toEqual({ Inspections: 1, Anomalies: 1, DetectorLatency: 7 });
    expect(alerts.messages.map((message) => message.inspectionId)).toEqual([ids[0]]);
    for (const line of lines.filter((candidate) => !isEmf(candidate))) expect(ids, line.message).toContain(line.inspectionId);
  });

  it('counts the same upload sent again as no new inspection, and as no second failed call', async () => {
    // Prepare
    const first = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Act
    const again = await captureOutput(() => inspectHandler()(rawUploadEvent(jpeg), lambdaContext));

    // Assess
    expect(first.result.statusCode).toBe(201);
    expect(again.result.statusCode).toBe(200);
    expect(first.lines.filter(isEmf).map(metricsOf)).toEqual([{ Inspections: 1, Anomalies: 1, DetectorLatency: 42 }]);
    // Nothing was inspected, stored or queued the second time, so nothing is counted.
    expect(again.lines.filter(isEmf)).toEqual([]);
    expect(alerts.messages).toHaveLength(1);
  });

  /** The camera queue consumer wired as its entry wires it, over this test's store, alert fakes and observability. */
  const cameraHandler = (uploads: InMemoryCameraUploads) =>
    withObservability(
      createCameraUploadQueueHandler(() => ({
        bucket: 'camera-bucket',
        uploads,
        observer: createRequestObserver(observability),
        detector: async () => timedDetector(detector, observability.metrics, steppingClock(7)),
        defaultStationId: 'default',
        inspection: {
          store,
          events: inspectionMetrics(observability.metrics),
          alerts,
          imageClaims,
          logger: observability.logger,
          alertPolicy: ALERT_POLICY,
          decoder: new SharpImageDecoder(),
          limits: LIMITS,
        },
      })),
      observability,
    );
});

/** One SQS message per camera upload, each carrying the S3 ObjectCreated notification of its incoming/ key. */
function cameraEvent(ids: string[]): SQSEvent {
  return {
    Records: ids.map((id, index) => ({
      messageId: `message-${index}`,
      body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Post', s3: { bucket: { name: 'camera-bucket' }, object: { key: incomingKey(id) } } }] }),
      attributes: { ApproximateReceiveCount: '1' },
    })) as unknown as SQSRecord[],
  };
}

describe('EMF output switched off', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('prints nothing when POWERTOOLS_METRICS_DISABLED is true, as in this suite and the local stack, and prints the blob when it is not', async () => {
    // Prepare
    const run = (observability: Observability) =>
      captureOutput(() =>
        withObservability(async () => {
          observability.metrics.addMetric('Inspections', 'Count', 1);
        }, observability)({}, lambdaContext),
      );
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const disabled = createObservability({ stage: 'test' });
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const enabled = createObservability({ stage: 'test' });

    // Act
    const quiet = await run(disabled);
    const loud = await run(enabled);

    // Assess
    expect(quiet.lines).toEqual([]);
    expect(loud.lines.filter(isEmf).map(metricsOf)).toEqual([{ Inspections: 1 }]);
  });

  it('is how the test suite runs', () => {
    // vitest.config.ts sets it for every test file; a blob in test output would mean a handler ignores it.
    vi.unstubAllEnvs();
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
  });
});
