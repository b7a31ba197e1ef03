import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { InspectionNotFoundError } from '../core/errors';
import { isInspectionId } from '../core/inspection-keys';
import type { InspectionStore } from '../core/ports';
import { apiHandler, type ApiContext } from '../http/api-handler';
import { toInspectionView } from './inspection-view';

/** What GET /inspections/{id} needs. */
export interface GetInspectionRouteDependencies extends ApiContext {
  store: InspectionStore;
}

/** GET /inspections/{id}: the inspection's record, with its anomaly mask when there is one. */
export function createGetInspectionHandler(
  resolveDependencies: () => GetInspectionRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, async (event) => {
    const { store } = resolveDependencies();
    const inspectionId = event.pathParameters?.id ?? '';
    // An id that is not a ULID cannot exist, and must never reach an S3 key.
    if (!isInspectionId(inspectionId)) throw new InspectionNotFoundError(inspectionId.slice(0, 64));
    const record = await store.getRecord(inspectionId);
    if (!record) throw new InspectionNotFoundError(inspectionId);
    const maskKey = record.detection?.anomalyMaskKey;
    const mask = maskKey ? await store.getObject(maskKey) : undefined;
    return { statusCode: 200, body: toInspectionView(record, mask) };
  });
}
