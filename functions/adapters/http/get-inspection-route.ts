import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { maySeeStation } from '../../core/access';
import { incomingKey } from '../../core/camera-upload';
import type { CameraUploadStore } from '../../core/ports/camera-upload-store';
import { InspectionNotFoundError, UploadRejectedError } from '../../core/errors';
import { isInspectionId } from '../../core/inspection-keys';
import type { InspectionStore } from '../../core/ports/inspection-store';
import { apiHandler, type ApiContext } from './api-handler';
import { toInspectionView } from './inspection-view';

/** What GET /inspections/{id} needs; `uploads` lets it say what became of a camera upload not yet inspected. */
export interface GetInspectionRouteDependencies extends ApiContext {
  store: InspectionStore;
  uploads?: Pick<CameraUploadStore, 'headIncoming' | 'readRejection'>;
}

/**
 * GET /inspections/{id}: the inspection's record with its anomaly mask when there is one; for a camera upload
 * without a record yet, 202 pending while it waits in incoming/, or 422 UPLOAD_REJECTED with the reason.
 */
export function createGetInspectionHandler(
  resolveDependencies: () => GetInspectionRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (event, _context, caller) => {
    const { store, uploads } = resolveDependencies();
    const inspectionId = event.pathParameters?.id ?? '';
    // An id that is not a ULID cannot exist, and must never reach an S3 key.
    if (!isInspectionId(inspectionId)) throw new InspectionNotFoundError(inspectionId.slice(0, 64));
    const record = await store.getRecord(inspectionId);
    if (!record) {
      // A camera polling its upload learns whether it is still waiting to be inspected, or why it was refused.
      const rejection = await uploads?.readRejection(inspectionId);
      if (rejection) throw new UploadRejectedError(inspectionId, rejection);
      if (await uploads?.headIncoming(incomingKey(inspectionId))) return { statusCode: 202, body: { inspectionId, status: 'pending' } };
      throw new InspectionNotFoundError(inspectionId);
    }
    // A camera reads back its own station's inspections only; another station's is, to it, not there.
    if (!maySeeStation(caller, record.stationId)) throw new InspectionNotFoundError(inspectionId);
    const maskKey = record.detection?.anomalyMaskKey;
    const mask = maskKey ? await store.getObject(maskKey) : undefined;
    return { statusCode: 200, body: toInspectionView(record, mask) };
  });
}
