import { describe, expect, it } from 'vitest';
import { createGetInspectionHandler } from '../../../../functions/adapters/http/get-inspection-route';
import { incomingKey } from '../../../../functions/core/camera-upload';
import { newInspectionId } from '../../../../functions/core/inspection-keys';
import { apiEvent, lambdaContext } from '../../../fixtures/api-events';
import { InMemoryCameraUploads, InMemoryInspectionStore, MemoryLogger } from '../../../fixtures/fakes';

describe('GET /inspections/{id} (createGetInspectionHandler)', () => {
  it('answers 404 for an unknown or ill-formed inspection id', async () => {
    for (const id of ['01JDZZZZZZZZZZZZZZZZZZZZZZ', '../../secrets', '']) {
      const response = await createGetInspectionHandler(() => ({ allowedOrigins: [], logger: new MemoryLogger(), store: new InMemoryInspectionStore() }))(
        apiEvent({ httpMethod: 'GET', pathParameters: { id } }),
        lambdaContext,
      );
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body).error.code).toBe('INSPECTION_NOT_FOUND');
    }
  });
});

describe('GET /inspections/{id} for a camera upload without a record yet', () => {
  it('answers 202 pending while the upload waits in incoming/, 422 UPLOAD_REJECTED with the reason once refused, 404 otherwise', async () => {
    // Prepare
    const logger = new MemoryLogger();
    const store = new InMemoryInspectionStore();
    const uploads = new InMemoryCameraUploads();
    const handler = createGetInspectionHandler(() => ({ allowedOrigins: [], logger, store, uploads }));
    const [pending, refused, unknown] = [newInspectionId(), newInspectionId(), newInspectionId()];
    uploads.objects.set(incomingKey(pending), { bytes: new Uint8Array([1]) });
    uploads.objects.set(incomingKey(refused), { bytes: new Uint8Array([2]) });
    await uploads.reject(incomingKey(refused), {
      inspectionId: refused,
      code: 'CORRUPT_IMAGE',
      message: 'The image data is corrupt.',
      rejectedAt: '2026-11-26T10:00:00.000Z',
    });
    await uploads.deleteIncoming(incomingKey(refused));
    const get = (id: string) => handler(apiEvent({ httpMethod: 'GET', pathParameters: { id } }), lambdaContext);

    // Act
    const [waiting, rejected, missing] = await Promise.all([get(pending), get(refused), get(unknown)]);

    // Assess
    expect(waiting.statusCode).toBe(202);
    expect(JSON.parse(waiting.body)).toEqual({ inspectionId: pending, status: 'pending' });
    expect(rejected.statusCode).toBe(422);
    expect(JSON.parse(rejected.body).error).toMatchObject({
      code: 'UPLOAD_REJECTED',
      inspectionId: refused,
      rejection: { code: 'CORRUPT_IMAGE', message: 'The image data is corrupt.', rejectedAt: '2026-11-26T10:00:00.000Z' },
    });
    expect(missing.statusCode).toBe(404);
  });
});
