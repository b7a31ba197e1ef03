import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectOperatorCaller } from '../../../functions/adapters/connect/connect-operator-caller';
import { LookoutVisionDetector } from '../../../functions/adapters/lookout/lookout-vision-detector';
import { S3InspectionStore } from '../../../functions/adapters/s3/s3-inspection-store';
import { readInspectImageConfig } from '../../../functions/wiring/inspect-image';
import { readPlaceCallConfig } from '../../../functions/wiring/place-call';
import { inspectionKeys, newInspectionId } from '../../../functions/core/inspection-keys';
import { ConnectEmulator } from '../../../local/emulators/connect-emulator';
import { LookoutVisionEmulator } from '../../../local/emulators/lookout-vision-emulator';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../../helpers/local-aws-stand-ins';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

describe('Lookout for Vision emulator on the wire', () => {
  const emulator = new LookoutVisionEmulator();

  beforeAll(async () => {
    await emulator.start();
  });

  afterAll(async () => {
    await emulator.close();
  });

  const detect = (path: string, body: Uint8Array, contentType = 'image/png') =>
    fetch(`${emulator.endpoint}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answers errors the restJson1 way: status, X-Amzn-ErrorType, JSON members and Retry-After', async () => {
    // Prepare
    emulator.failNext(1, 'ThrottlingException', { retryAfterSeconds: 4 });
    const image = await makeTestWaferImage();

    // Act
    const response = await detect('/2020-11-20/projects/waferwatch/models/1/detect', image.bytes);

    // Assess
    expect(response.status).toBe(429);
    expect(response.headers.get('x-amzn-errortype')?.split(':')[0]).toBe('ThrottlingException');
    expect(response.headers.get('retry-after')).toBe('4');
    expect(await response.json()).toEqual({ Message: 'Rate exceeded' });
  });

  it('names the resource of a missing project and a stopped model', async () => {
    // Prepare
    const image = await makeTestWaferImage();
    emulator.setModelHosted('waferwatch', '1', false);

    // Act
    const missing = await detect('/2020-11-20/projects/nope/models/1/detect', image.bytes);
    const stopped = await detect('/2020-11-20/projects/waferwatch/models/1/detect', image.bytes);
    emulator.setModelHosted('waferwatch', '1', true);

    // Assess
    expect([missing.status, await missing.json()]).toEqual([404, expect.objectContaining({ ResourceId: 'nope', ResourceType: 'PROJECT' })]);
    expect([stopped.status, stopped.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([409, 'ConflictException']);
  });

  it('validates the content type and the body, and rejects undecodable bytes', async () => {
    // Act
    const wrongType = await detect('/2020-11-20/projects/waferwatch/models/1/detect', new Uint8Array([1]), 'image/gif');
    const empty = await detect('/2020-11-20/projects/waferwatch/models/1/detect', new Uint8Array([]));
    const garbage = await detect('/2020-11-20/projects/waferwatch/models/1/detect', new Uint8Array([1, 2, 3]));
    const elsewhere = await detect('/2020-11-20/projects', new Uint8Array([1]));

    // Assess
    expect([wrongType.status, empty.status, garbage.status, elsewhere.status]).toEqual([400, 400, 400, 404]);
    expect(garbage.headers.get('x-amzn-errortype')).toMatch(/^ValidationException/);
  });

  it('returns the verdict wrapped in DetectAnomalyResult with a base64 mask, and records it', async () => {
    // Prepare
    const image = await makeTestWaferImage({ width: 64, height: 64, redMarkSide: 8 });

    // Act
    const response = await detect('/2020-11-20/projects/waferwatch/models/latest/detect', image.bytes);
    const body = (await response.json()) as { DetectAnomalyResult: { IsAnomalous: boolean; AnomalyMask: string; Source: unknown } };

    // Assess
    expect(response.status).toBe(200);
    expect(body.DetectAnomalyResult).toMatchObject({ Source: { Type: 'direct' }, IsAnomalous: true });
    expect(Buffer.from(body.DetectAnomalyResult.AnomalyMask, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(emulator.detectionCalls()[0]).toMatchObject({ projectName: 'waferwatch', modelVersion: '1', isAnomalous: true, sizeBytes: image.sizeBytes });
  });
});

describe('Connect emulator on the wire', () => {
  const emulator = new ConnectEmulator();

  beforeAll(async () => {
    await emulator.start();
  });

  afterAll(async () => {
    await emulator.close();
  });

  const start = (body: unknown) =>
    fetch(`${emulator.endpoint}/contact/outbound-voice`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const valid = { InstanceId: 'i', ContactFlowId: 'f', DestinationPhoneNumber: '+14155550199', SourcePhoneNumber: '+14155550100' };

  it('validates required fields, E.164 numbers and the client token length', async () => {
    // Act
    const responses = await Promise.all([
      start({ ...valid, DestinationPhoneNumber: undefined }),
      start({ ...valid, SourcePhoneNumber: undefined }),
      start({ ...valid, DestinationPhoneNumber: '0049 151 123' }),
      start({ ...valid, ClientToken: 'x'.repeat(501) }),
      start({ ...valid, Attributes: { confidencePercent: 93 } }),
    ]);

    // Assess
    expect(responses.map((r) => [r.status, r.headers.get('x-amzn-errortype')?.split(':')[0]])).toEqual(
      Array.from({ length: 5 }, () => [400, 'InvalidParameterException']),
    );
    expect(emulator.calls()).toEqual([]);
  });

  it('lists calls newest first and returns the same ContactId for a repeated token', async () => {
    // Act
    const first = (await (await start({ ...valid, ClientToken: 'a' })).json()) as { ContactId: string };
    const second = (await (await start({ ...valid, ClientToken: 'b' })).json()) as { ContactId: string };
    const again = (await (await start({ ...valid, ClientToken: 'a' })).json()) as { ContactId: string };

    // Assess
    expect(again.ContactId).toBe(first.ContactId);
    expect(emulator.calls().map((call) => call.contactId)).toEqual([second.ContactId, first.ContactId]);
  });

  it('drops the connection on resetNext so clients see a network failure', async () => {
    // Prepare
    emulator.resetNext(1);

    // Act
    const outcome = await start(valid).then(
      () => 'answered',
      () => 'dropped',
    );

    // Assess
    expect(outcome).toBe('dropped');
    expect(emulator.pendingFaults()).toBe(0);
  });
});

describe('startLocalAwsStandIns', () => {
  let standIns: LocalAwsStandIns;

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
  });

  afterAll(async () => {
    await standIns?.close();
  });

  it('gives a configuration that parses and real clients that reach all three stand-ins', async () => {
    // Prepare
    const config = readInspectImageConfig(standIns.env);
    const calling = readPlaceCallConfig(standIns.env);
    const store = new S3InspectionStore({ client: standIns.clients.s3, bucket: config.IMAGE_BUCKET });
    const detector = new LookoutVisionDetector({
      client: standIns.clients.lookout,
      projectName: config.LOOKOUT_PROJECT_NAME!,
      modelVersion: config.LOOKOUT_MODEL_VERSION!,
    });
    const caller = new ConnectOperatorCaller({
      client: standIns.clients.connect,
      instanceId: calling.CONNECT_INSTANCE_ID,
      contactFlowId: calling.CONNECT_CONTACT_FLOW_ID,
      sourcePhoneNumber: calling.CONNECT_SOURCE_PHONE_NUMBER,
    });
    const image = await makeTestWaferImage({ redMarkSide: 12 });
    const inspectionId = newInspectionId();
    const keys = inspectionKeys(inspectionId, image.format);

    // Act
    const [, detection] = await Promise.all([store.putImage(keys.image, image, { inspectionId, stationId: 'litho-1', source: 'api' }), detector.detect(image)]);
    const { contactId } = await caller.startCall({
      inspectionId,
      stationId: 'litho-1',
      stationName: 'Litho 1',
      confidencePercent: Math.round(detection.Confidence * 100),
      callKind: 'anomaly',
      destinationPhoneNumber: calling.OPERATOR_PHONE_NUMBER,
      contactName: 'Line operator',
      level: 1,
      loop: 1,
      step: 0,
      index: 0,
    });
    const stored = await standIns.clients.s3.send(new GetObjectCommand({ Bucket: config.IMAGE_BUCKET, Key: keys.image }));

    // Assess
    expect(config.DETECTOR).toBe('lookoutvision');
    expect(detection.IsAnomalous).toBe(true);
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(image.bytes)).toBe(true);
    expect(standIns.connect.calls()[0]).toMatchObject({ contactId, destinationPhoneNumber: standIns.names.operatorPhoneNumber });
  });
});
