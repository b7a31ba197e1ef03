import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createCreateUploadHandler } from '../../../functions/adapters/http/create-upload-route';
import { createGetInspectionHandler } from '../../../functions/adapters/http/get-inspection-route';
import { createListInspectionsHandler } from '../../../functions/adapters/http/list-inspections-route';
import { S3CameraUploadStore } from '../../../functions/adapters/s3/s3-camera-upload-store';
import type { InspectionRecord } from '../../../functions/core/inspection';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import { apiEvent, cameraAuthorizer, lambdaContext, personAuthorizer } from '../../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';

const asCaller = (authorizer: unknown) => ({ requestId: 'r-1', stage: 'test', authorizer }) as never;
const errorOf = (response: { statusCode: number; body: string }) => ({ status: response.statusCode, code: JSON.parse(response.body).error?.code });

const uploads = new S3CameraUploadStore({
  client: new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }),
  bucket: 'images',
});
const createUpload = createCreateUploadHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), uploads, maxBytes: 1_000, expiresInSeconds: 300 }));

function record(stationId: string): InspectionRecord {
  const inspectionId = newInspectionId();
  const at = new Date().toISOString();
  return {
    inspectionId,
    stationId,
    source: 'camera',
    status: 'normal',
    image: { key: `inspections/x/${inspectionId}.png`, contentType: 'image/png', sizeBytes: 10, width: 64, height: 64, sha256: inspectionId },
    createdAt: at,
    updatedAt: at,
  } as InspectionRecord;
}

describe('every route checks its caller (apiHandler + functions/core/access.ts)', () => {
  it('answers 401 UNAUTHENTICATED to a request with no caller on every route, and still answers the CORS preflight', async () => {
    const store = new InMemoryInspectionStore();
    const routes = [
      () => createUpload(apiEvent({ requestContext: asCaller(undefined) }), lambdaContext),
      () =>
        createGetInspectionHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), store }))(
          apiEvent({ httpMethod: 'GET', pathParameters: { id: newInspectionId() }, requestContext: asCaller(null) }),
          lambdaContext,
        ),
      () =>
        createListInspectionsHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), store }))(
          apiEvent({ httpMethod: 'GET', requestContext: asCaller({}) }),
          lambdaContext,
        ),
    ];
    for (const route of routes) expect(errorOf(await route())).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    const preflight = await createUpload(apiEvent({ httpMethod: 'OPTIONS', requestContext: asCaller(undefined) }), lambdaContext);
    expect(preflight.statusCode).toBe(204);
  });

  it('refuses a signed-in person in no group 403 FORBIDDEN', async () => {
    const response = await createUpload(apiEvent({ requestContext: asCaller(personAuthorizer('contractors')) }), lambdaContext);
    expect(errorOf(response)).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it("binds a camera's upload to its key's station: another station is 403 STATION_NOT_PERMITTED, none is its own", async () => {
    const elsewhere = await createUpload(
      apiEvent({ queryStringParameters: { station: 'etch-1' }, requestContext: asCaller(cameraAuthorizer('litho-3')) }),
      lambdaContext,
    );
    const own = await createUpload(apiEvent({ requestContext: asCaller(cameraAuthorizer('litho-3')) }), lambdaContext);
    const viaHeader = await createUpload(
      apiEvent({ headers: { 'X-Station-Id': 'etch-1' }, requestContext: asCaller(cameraAuthorizer('litho-3')) }),
      lambdaContext,
    );

    expect(errorOf(elsewhere)).toEqual({ status: 403, code: 'STATION_NOT_PERMITTED' });
    expect(errorOf(viaHeader)).toEqual({ status: 403, code: 'STATION_NOT_PERMITTED' });
    expect(own.statusCode).toBe(201);
    expect(JSON.parse(own.body).upload.fields['x-amz-meta-station-id']).toBe('litho-3');
  });

  it("lets a camera read back its own station's inspections, not another's (404), and not list the history (403)", async () => {
    const store = new InMemoryInspectionStore();
    const [mine, theirs] = [record('litho-3'), record('etch-1')];
    await store.putRecord(mine);
    await store.putRecord(theirs);
    const get = createGetInspectionHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), store }));
    const list = createListInspectionsHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), store }));
    const camera = asCaller(cameraAuthorizer('litho-3'));

    expect((await get(apiEvent({ httpMethod: 'GET', pathParameters: { id: mine.inspectionId }, requestContext: camera }), lambdaContext)).statusCode).toBe(200);
    expect(errorOf(await get(apiEvent({ httpMethod: 'GET', pathParameters: { id: theirs.inspectionId }, requestContext: camera }), lambdaContext))).toEqual({
      status: 404,
      code: 'INSPECTION_NOT_FOUND',
    });
    expect(errorOf(await list(apiEvent({ httpMethod: 'GET', requestContext: camera }), lambdaContext))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect((await list(apiEvent({ httpMethod: 'GET' }), lambdaContext)).statusCode).toBe(200);
  });
});
