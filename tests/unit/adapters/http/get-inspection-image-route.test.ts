import { describe, expect, it } from 'vitest';
import { createGetInspectionImageHandler, MAX_INLINE_IMAGE_BYTES } from '../../../../functions/adapters/http/get-inspection-image-route';
import type { InspectionRecord } from '../../../../functions/core/inspection';
import { inspectionKeys, newInspectionId } from '../../../../functions/core/inspection-keys';
import { apiEvent, cameraAuthorizer, lambdaContext, personAuthorizer } from '../../../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger } from '../../../fixtures/fakes';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

function stored(store: InMemoryInspectionStore, bytes: Uint8Array, overrides: Partial<InspectionRecord['image']> = {}): InspectionRecord {
  const inspectionId = newInspectionId();
  const at = new Date().toISOString();
  const key = inspectionKeys(inspectionId, 'jpeg').image;
  const record = {
    inspectionId,
    stationId: 'litho-3',
    source: 'api',
    status: 'anomalous',
    image: { key, contentType: 'image/jpeg', sizeBytes: bytes.byteLength, width: 507, height: 512, sha256: 'ab'.repeat(32), ...overrides },
    alert: { status: 'queued' },
    createdAt: at,
    updatedAt: at,
  } as InspectionRecord;
  store.records.set(inspectionId, record);
  store.objects.set(key, bytes);
  return record;
}

function getImage(store: InMemoryInspectionStore, id: string, options: { authorizer?: unknown; maxInlineBytes?: number } = {}) {
  const handler = createGetInspectionImageHandler(() => ({
    allowedOrigins: [],
    logger: new MemoryLogger(),
    store,
    ...(options.maxInlineBytes !== undefined ? { maxInlineBytes: options.maxInlineBytes } : {}),
  }));
  const requestContext = { requestId: 'r-1', stage: 'test', authorizer: 'authorizer' in options ? options.authorizer : personAuthorizer() } as never;
  return handler(
    apiEvent({ httpMethod: 'GET', resource: '/inspections/{id}/image', path: `/inspections/${id}/image`, pathParameters: { id }, requestContext }),
    lambdaContext,
  );
}

describe('GET /inspections/{id}/image (createGetInspectionImageHandler)', () => {
  it('answers the stored image in base64 with its type and size, cacheable privately for five minutes', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG);

    // Act
    const response = await getImage(store, record.inspectionId);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'private, max-age=300' });
    const body = JSON.parse(response.body);
    expect(body).toEqual({
      inspectionId: record.inspectionId,
      contentType: 'image/jpeg',
      width: 507,
      height: 512,
      sizeBytes: JPEG.byteLength,
      image: Buffer.from(JPEG).toString('base64'),
    });
    expect(new Uint8Array(Buffer.from(body.image, 'base64'))).toEqual(JPEG);
  });

  it('serves any person who may view, an engineer as an operator', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG, { contentType: 'image/png' });

    // Act
    const response = await getImage(store, record.inspectionId, { authorizer: personAuthorizer('engineer', 'e-1') });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).contentType).toBe('image/png');
  });

  it('answers 404 INSPECTION_NOT_FOUND for an unknown or ill-formed id, as GET /inspections/{id} does', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();

    for (const id of [newInspectionId(), '01JDZZZZZZZZZZZZZZZZZZZZZZ', '../../secrets', '']) {
      // Act
      const response = await getImage(store, id);

      // Assess
      expect(response.statusCode, id).toBe(404);
      expect(JSON.parse(response.body).error.code, id).toBe('INSPECTION_NOT_FOUND');
      expect(response.headers?.['Cache-Control'], id).toBe('no-store');
    }
  });

  it('answers 404 when the record stands but its image is gone', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG);
    store.objects.delete(record.image.key);

    // Act
    const response = await getImage(store, record.inspectionId);

    // Assess
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.code).toBe('INSPECTION_NOT_FOUND');
  });

  it('refuses a camera 403 FORBIDDEN, even for its own station: it polls records, not photos', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG);

    // Act
    const response = await getImage(store, record.inspectionId, { authorizer: cameraAuthorizer('litho-3') });

    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error.code).toBe('FORBIDDEN');
    expect(response.body).not.toContain(Buffer.from(JPEG).toString('base64'));
  });

  it('answers 401 UNAUTHENTICATED without a caller, and 403 to a person in no group', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG);

    // Act
    const nobody = await getImage(store, record.inspectionId, { authorizer: undefined });
    const outsider = await getImage(store, record.inspectionId, { authorizer: personAuthorizer('contractors') });

    // Assess
    expect(nobody.statusCode).toBe(401);
    expect(JSON.parse(nobody.body).error.code).toBe('UNAUTHENTICATED');
    expect(outsider.statusCode).toBe(403);
    expect(JSON.parse(outsider.body).error.code).toBe('FORBIDDEN');
  });

  it('answers a too-large image without its bytes (image null, tooLarge), by its recorded size, without reading it', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = stored(store, JPEG, { sizeBytes: 20 * 1024 * 1024, width: 4096, height: 4096 });
    let reads = 0;
    const getObject = store.getObject.bind(store);
    store.getObject = async (key: string) => {
      reads += 1;
      return getObject(key);
    };

    // Act
    const response = await getImage(store, record.inspectionId);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['Cache-Control']).toBe('private, max-age=300');
    expect(JSON.parse(response.body)).toEqual({
      inspectionId: record.inspectionId,
      contentType: 'image/jpeg',
      width: 4096,
      height: 4096,
      sizeBytes: 20 * 1024 * 1024,
      image: null,
      tooLarge: true,
    });
    expect(reads).toBe(0);
  });

  it('keeps the answer under Lambda’s 6 MB response limit: the largest inline image fits, one byte more does not go inline', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const largest = stored(store, new Uint8Array(MAX_INLINE_IMAGE_BYTES));
    const over = stored(store, new Uint8Array(MAX_INLINE_IMAGE_BYTES + 1));
    // A record whose size understates the stored object: the object's own size decides.
    const understated = stored(store, new Uint8Array(64), { sizeBytes: 10 });

    // Act
    const [fits, tooLarge, checked] = await Promise.all([
      getImage(store, largest.inspectionId),
      getImage(store, over.inspectionId),
      getImage(store, understated.inspectionId, { maxInlineBytes: 32 }),
    ]);

    // Assess
    expect(JSON.parse(fits.body).image).toHaveLength(Math.ceil(MAX_INLINE_IMAGE_BYTES / 3) * 4);
    expect(Buffer.byteLength(fits.body)).toBeLessThan(6 * 1000 * 1000);
    expect(JSON.parse(tooLarge.body)).toMatchObject({ image: null, tooLarge: true });
    expect(JSON.parse(checked.body)).toMatchObject({ image: null, tooLarge: true, sizeBytes: 64 });
  });
});
