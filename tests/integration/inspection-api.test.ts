import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext, rawUploadEvent } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../helpers/local-aws-stand-ins';
import { makeTestWaferImage } from '../helpers/test-wafer-images';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The deployed entry modules, configured only through the environment, with the real SDK clients
 * talking HTTP to s3rver and the Lookout for Vision and Connect emulators.
 */
describe('inspection API over the wire (Lookout for Vision detector)', () => {
  let standIns: LocalAwsStandIns;
  let inspect: Handler;
  let getInspection: Handler;
  let listInspections: Handler;
  let normalJpeg: Buffer;
  let defectivePng: Buffer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    Object.assign(process.env, standIns.env, { ALERT_CONFIDENCE_THRESHOLD: '0.5', ALLOWED_ORIGINS: 'http://localhost:3000' });
    inspect = (await import('../../functions/inspect-image')).handler;
    getInspection = (await import('../../functions/get-inspection')).handler;
    listInspections = (await import('../../functions/list-inspections')).handler;
    normalJpeg = (await makeTestWaferImage({ format: 'jpeg', width: 160, height: 160 })).bytes;
    defectivePng = (await makeTestWaferImage({ format: 'png', width: 160, height: 160, redMarkSide: 24 })).bytes;
  });
  afterAll(async () => {
    process.env = savedEnv;
    await standIns.close();
  });
  beforeEach(() => {
    standIns.lookout.clearFaults();
    standIns.connect.clearFaults();
  });

  async function storedObject(key: string) {
    const object = await standIns.clients.s3.send(new GetObjectCommand({ Bucket: standIns.names.bucket, Key: key }));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  async function storedKeys(): Promise<string[]> {
    const listed = await standIns.clients.s3.send(new ListObjectsV2Command({ Bucket: standIns.names.bucket }));
    return (listed.Contents ?? []).map((object) => object.Key!);
  }

  it('stores a normal wafer byte for byte with metadata and a record, and rings no one', async () => {
    // Prepare
    const callsBefore = standIns.connect.calls().length;
    // Act
    const response = await inspect(rawUploadEvent(normalJpeg, 'image/jpeg', { headers: { 'content-type': 'image/jpeg', 'x-station-id': 'litho-3' } }), lambdaContext);
    // Assess
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ status: 'normal', stationId: 'litho-3', alert: { status: 'skipped', reason: 'not-anomalous' } });
    expect(body.image.key).toMatch(/^inspections\/\d{4}\/\d{2}\/\d{2}\/[0-9A-Z]{26}\.jpg$/);
    expect(await storedObject(body.image.key)).toEqual(normalJpeg);
    const head = await standIns.clients.s3.send(new HeadObjectCommand({ Bucket: standIns.names.bucket, Key: body.image.key }));
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.Metadata).toMatchObject({ sha256: body.image.sha256, 'inspection-id': body.inspectionId, 'station-id': 'litho-3', source: 'api' });
    expect(JSON.parse((await storedObject(body.image.key.replace(/\.jpg$/, '.json'))).toString())).toEqual(body);
    expect(standIns.connect.calls()).toHaveLength(callsBefore);
  });

  it('calls the configured operator once for an anomalous wafer, with the confidence as a whole percent', async () => {
    const response = await inspect(rawUploadEvent(defectivePng, 'application/octet-stream', { queryStringParameters: { station: 'etch-2' } }), lambdaContext);
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body.status).toBe('anomalous');
    expect(body.alert.status).toBe('placed');
    const call = standIns.connect.call(body.alert.contactId)!;
    expect(call.destinationPhoneNumber).toBe(standIns.names.operatorPhoneNumber);
    expect(call.instanceId).toBe(standIns.names.connectInstanceId);
    expect(call.attributes).toEqual({
      inspectionId: body.inspectionId,
      stationId: 'etch-2',
      confidencePercent: String(Math.floor(body.detection.Confidence * 100)),
    });
    expect(call.clientToken).toContain(body.inspectionId);
    // The record fetched by id is what the upload answered.
    const fetched = await getInspection(apiEvent({ httpMethod: 'GET', resource: '/inspections/{id}', pathParameters: { id: body.inspectionId } }), lambdaContext);
    expect(JSON.parse(fetched.body)).toEqual(body);
  });

  it('keeps the image as not inspected and answers 503 with Retry-After when the model is throttled past the SDK retries', async () => {
    standIns.lookout.failNext(10, 'ThrottlingException', { retryAfterSeconds: 1 });
    const response = await inspect(rawUploadEvent(defectivePng, 'image/png'), lambdaContext);
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['Retry-After']).toBe('1');
    const { error } = JSON.parse(response.body);
    expect(error.code).toBe('DETECTOR_UNAVAILABLE');
    const record = JSON.parse((await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: error.inspectionId } }), lambdaContext)).body);
    expect(record).toMatchObject({ status: 'not-inspected', alert: { status: 'skipped', reason: 'not-inspected' } });
    expect(await storedObject(record.image.key)).toEqual(defectivePng);
  });

  it('still answers 201 when the detector recovers within the SDK retries', async () => {
    standIns.lookout.failNext(1, 'ThrottlingException');
    const response = await inspect(rawUploadEvent(normalJpeg), lambdaContext);
    expect(response.statusCode).toBe(201);
  });

  it('records a refused call as failed without failing the upload', async () => {
    standIns.connect.failNext(5, 'LimitExceededException');
    const response = await inspect(rawUploadEvent(defectivePng, 'image/png'), lambdaContext);
    expect(response.statusCode).toBe(201);
    const body = JSON.parse(response.body);
    expect(body.alert.status).toBe('failed');
    expect(body.alert.reason).not.toMatch(/\+\d{6,}/);
  });

  it('rejects garbage with 415 and stores nothing', async () => {
    const before = await storedKeys();
    const response = await inspect(rawUploadEvent(Buffer.from('this is not a wafer'), 'image/jpeg'), lambdaContext);
    expect(response.statusCode).toBe(415);
    expect(await storedKeys()).toEqual(before);
  });

  it('lists recent inspections newest first', async () => {
    const first = JSON.parse((await inspect(rawUploadEvent(normalJpeg), lambdaContext)).body).inspectionId;
    const second = JSON.parse((await inspect(rawUploadEvent(normalJpeg), lambdaContext)).body).inspectionId;
    const listed = JSON.parse((await listInspections(apiEvent({ httpMethod: 'GET', queryStringParameters: { limit: '2' } }), lambdaContext)).body);
    expect(listed.inspections.map((record: { inspectionId: string }) => record.inspectionId)).toEqual([second, first]);
  });
});
