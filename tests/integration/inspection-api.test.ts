import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAlertServices, type AlertServices } from '../../local/alert-services';
import { pumpQueueToHandler } from '../../local/emulators/sqs-lambda-pump';
import { apiEvent, lambdaContext, rawUploadEvent } from '../fixtures/api-events';
import { alertEnv } from '../helpers/alert-env';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../helpers/local-aws-stand-ins';
import { makeTestWaferImage } from '../helpers/test-wafer-images';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The record in an upload's answer: without Lookout's verdict fields, which the answer repeats at its top for the original sample's clients. */
function recordOf(answer: Record<string, unknown>): Record<string, unknown> {
  const { IsAnomalous: _isAnomalous, Confidence: _confidence, Anomalies: _anomalies, ...record } = answer;
  return record;
}

/**
 * The deployed entry modules, configured only through the environment, with the real SDK clients
 * talking HTTP to s3rver, the Lookout for Vision and Connect emulators, the SQS emulator (the alert queue, delivered
 * to the place-call entry as Lambda's event source would) and dynalite (image claims and alert state).
 */
describe('inspection API over the wire (Lookout for Vision detector)', () => {
  let standIns: LocalAwsStandIns;
  let alertServices: AlertServices;
  let inspect: Handler;
  let placeCall: (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;
  let getInspection: Handler;
  let listInspections: Handler;
  let normalJpeg: Buffer;
  let defectivePng: Buffer;
  /** A different wafer photo each time: the same bytes sent again are the same inspection. */
  let photos = 0;
  const another = (options: Parameters<typeof makeTestWaferImage>[0]) =>
    makeTestWaferImage({ ...options, width: 160 + (photos += 1), height: 160 }).then((image) => image.bytes);
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    alertServices = await startAlertServices();
    Object.assign(process.env, standIns.env, alertEnv(alertServices), { ALERT_CONFIDENCE_THRESHOLD: '0.5', ALLOWED_ORIGINS: 'http://localhost:3000' });
    inspect = (await import('../../functions/handlers/inspect-image')).handler;
    placeCall = (await import('../../functions/handlers/place-call')).handler;
    getInspection = (await import('../../functions/handlers/get-inspection')).handler;
    listInspections = (await import('../../functions/handlers/list-inspections')).handler;
    normalJpeg = (await makeTestWaferImage({ format: 'jpeg', width: 160, height: 160 })).bytes;
    defectivePng = (await makeTestWaferImage({ format: 'png', width: 160, height: 160, redMarkSide: 24 })).bytes;
  });
  afterAll(async () => {
    process.env = savedEnv;
    await Promise.all([standIns.close(), alertServices.close()]);
  });
  beforeEach(() => {
    standIns.lookout.clearFaults();
    standIns.connect.clearFaults();
  });

  async function storedObject(key: string) {
    const object = await standIns.clients.s3.send(new GetObjectCommand({ Bucket: standIns.names.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  /** Deliver the alert queue to the place-call entry until it is empty, as the event source mapping would. */
  async function deliverAlerts() {
    const report = await pumpQueueToHandler(alertServices.sqs, alertServices.alertQueueUrl, placeCall, { batchSize: 5, maxBatches: 10 });
    expect(report.handlerErrors).toEqual([]);
    return report;
  }

  async function storedKeys(): Promise<string[]> {
    const listed = await standIns.clients.s3.send(new ListObjectsV2Command({ Bucket: standIns.names.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  it('stores a normal wafer byte for byte with metadata and a record, and rings no one', async () => {
    // Prepare
    const callsBefore = standIns.connect.calls().length;
    // Act
    const response = await inspect(
      rawUploadEvent(normalJpeg, 'image/jpeg', { headers: { 'content-type': 'image/jpeg', 'x-station-id': 'litho-3' } }),
      lambdaContext,
    );
    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ status: 'normal', stationId: 'litho-3', alert: { status: 'skipped', reason: 'not-anomalous' } });
    expect(body.image.key).toMatch(/^inspections\/\d{4}\/\d{2}\/\d{2}\/[0-9A-Z]{26}\.jpg$/);
    expect(await storedObject(body.image.key)).toEqual(normalJpeg);
    const head = await standIns.clients.s3.send(new HeadObjectCommand({ Bucket: standIns.names.bucket, Key: body.image.key }));
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.Metadata).toMatchObject({ sha256: body.image.sha256, 'inspection-id': body.inspectionId, 'station-id': 'litho-3', source: 'api' });
    expect(JSON.parse((await storedObject(body.image.key.replace(/\.jpg$/, '.json'))).toString())).toEqual(recordOf(body));
    expect(alertServices.sqs.messages(alertServices.alertQueueUrl)).toEqual([]);
    await deliverAlerts();
    expect(standIns.connect.calls()).toHaveLength(callsBefore);
  });

  it('queues the alert of an anomalous wafer, and place-call then calls the configured operator once, with the confidence as a whole percent', async () => {
    // Act
    const response = await inspect(rawUploadEvent(defectivePng, 'application/octet-stream', { queryStringParameters: { station: 'etch-2' } }), lambdaContext);
    const body = JSON.parse(response.body);
    // The record fetched by id is what the upload answered, until place-call moves the alert on.
    const beforeCall = await getInspection(
      apiEvent({ httpMethod: 'GET', resource: '/inspections/{id}', pathParameters: { id: body.inspectionId } }),
      lambdaContext,
    );
    const delivered = await deliverAlerts();
    const again = await deliverAlerts();

    // Assess
    expect(response.statusCode).toBe(201);
    expect(body.status).toBe('anomalous');
    expect(body.alert.status).toBe('queued');
    expect(JSON.parse(beforeCall.body)).toEqual(recordOf(body));
    expect([delivered.received, delivered.deleted, again.received]).toEqual([1, 1, 0]);
    const calls = standIns.connect.calls().filter((placed) => placed.attributes.inspectionId === body.inspectionId);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.destinationPhoneNumber).toBe(standIns.names.operatorPhoneNumber);
    expect(call.instanceId).toBe(standIns.names.connectInstanceId);
    expect(call.attributes).toEqual({
      inspectionId: body.inspectionId,
      stationId: 'etch-2',
      // No station registry here: the one default station's ladder, never a name the upload sent.
      stationName: 'the default station',
      confidencePercent: String(Math.floor(body.detection.Confidence * 100)),
      foldedAnomalies: '0',
      callKind: 'anomaly',
      contactName: 'Operator',
      escalationLevel: '1',
      escalationLoop: '1',
    });
    expect(call.clientToken).toContain(body.inspectionId);
    const afterCall = JSON.parse((await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: body.inspectionId } }), lambdaContext)).body);
    expect(afterCall.alert).toMatchObject({
      status: 'ringing',
      level: 1,
      loop: 1,
      attempts: [{ contactId: call.contactId, contactName: 'Operator', outcome: 'ringing' }],
    });
  });

  it('answers the same wafer sent again with its first inspection, and rings no second time', async () => {
    // Prepare
    const bytes = await another({ format: 'png', redMarkSide: 24 });
    const first = JSON.parse((await inspect(rawUploadEvent(bytes, 'image/png', { queryStringParameters: { station: 'etch-3' } }), lambdaContext)).body);
    await deliverAlerts();
    const keysBefore = await storedKeys();

    // Act
    const response = await inspect(rawUploadEvent(bytes, 'image/png', { queryStringParameters: { station: 'etch-3' } }), lambdaContext);
    await deliverAlerts();

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ inspectionId: first.inspectionId, alert: { status: 'ringing' } });
    expect(await storedKeys()).toEqual(keysBefore);
    expect(standIns.connect.calls().filter((call) => call.attributes.inspectionId === first.inspectionId)).toHaveLength(1);
  });

  it('keeps the image as not inspected and answers 503 with Retry-After when the model is throttled past the SDK retries', async () => {
    standIns.lookout.failNext(10, 'ThrottlingException', { retryAfterSeconds: 1 });
    const throttledPng = await another({ format: 'png', redMarkSide: 24 });
    const response = await inspect(rawUploadEvent(throttledPng, 'image/png'), lambdaContext);
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    const { error } = JSON.parse(response.body);
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    const record = JSON.parse((await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: error.inspectionId } }), lambdaContext)).body);
    expect(record).toMatchObject({ status: 'not-inspected', alert: { status: 'skipped', reason: 'not-inspected' } });
    expect(await storedObject(record.image.key)).toEqual(throttledPng);
  });

  it('still answers 201 when the detector recovers within the SDK retries', async () => {
    standIns.lookout.failNext(1, 'ThrottlingException');
    const response = await inspect(rawUploadEvent(await another({ format: 'jpeg' })), lambdaContext);
    expect(response.statusCode).toBe(201);
  });

  it('records a refused call as failed, without the number Connect names, and parks its alert in the dead-letter queue', async () => {
    // Prepare
    const response = await inspect(rawUploadEvent(await another({ format: 'png', redMarkSide: 24 }), 'image/png'), lambdaContext);
    const body = JSON.parse(response.body);
    // Refused on both rounds of the one-operator ladder (ESCALATION_LOOPS 2): no call of it ever starts.
    standIns.connect.failNext(2, 'DestinationNotAllowedException', { message: `Outbound calls to ${standIns.names.operatorPhoneNumber} are not allowed` });

    // Act
    await deliverAlerts();

    // Assess
    expect(response.statusCode).toBe(201);
    expect(body.alert.status).toBe('queued');
    const record = JSON.parse((await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: body.inspectionId } }), lambdaContext)).body);
    expect(record.alert).toMatchObject({ status: 'failed', code: 'CALL_REFUSED' });
    expect(record.alert.reason).not.toMatch(/\+\d{6,}/);
    const parked = alertServices.sqs
      .messages(alertServices.deadLetterQueueUrl)
      .filter((message) => JSON.parse(message.body).inspectionId === body.inspectionId);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.messageAttributes.failureCode?.StringValue).toBe('CALL_REFUSED');
    expect(parked[0]!.messageAttributes.failureReason?.StringValue).not.toMatch(/\+\d{6,}/);
  });

  it('rejects garbage with 415 and stores nothing', async () => {
    const before = await storedKeys();
    const response = await inspect(rawUploadEvent(Buffer.from('this is not a wafer'), 'image/jpeg'), lambdaContext);
    expect(response.statusCode).toBe(415);
    expect(await storedKeys()).toEqual(before);
  });

  it('lists recent inspections newest first', async () => {
    const first = JSON.parse((await inspect(rawUploadEvent(await another({ format: 'jpeg' })), lambdaContext)).body).inspectionId;
    const second = JSON.parse((await inspect(rawUploadEvent(await another({ format: 'jpeg' })), lambdaContext)).body).inspectionId;
    const listed = JSON.parse((await listInspections(apiEvent({ httpMethod: 'GET', queryStringParameters: { limit: '2' } }), lambdaContext)).body);
    expect(listed.inspections.map((record: { inspectionId: string }) => record.inspectionId)).toEqual([second, first]);
  });
});
