import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ForbiddenError, InspectionNotFoundError } from '../../core/errors';
import type { InspectionRecord } from '../../core/inspection';
import { isInspectionId } from '../../core/inspection-keys';
import type { InspectionStore } from '../../core/ports/inspection-store';
import { apiHandler, type ApiContext } from './api-handler';

/**
 * The largest stored image answered inline. The answer is JSON with the image in base64 (4 bytes for every 3), and a
 * Lambda proxy answer is at most 6 MB (Lambda's synchronous response limit, which binds before API Gateway's 10 MB):
 * 4 MiB of image is 5.6 MB of base64, with room for the rest of the body. Every image POST /inspections accepts fits
 * (MAX_IMAGE_BYTES, 4 MiB by default); a larger camera upload (up to CAMERA_MAX_IMAGE_BYTES, 20 MiB) is answered
 * without its bytes, `tooLarge: true`, and the page shows its anomaly areas alone. No downscaled copy is made: sharp
 * is not in this function's bundle, and keeping it out keeps the function small and quick to start.
 */
export const MAX_INLINE_IMAGE_BYTES = 4 * 1024 * 1024;

/** How long a browser may keep an image's answer: the stored image of an inspection never changes. */
export const IMAGE_CACHE_CONTROL = 'private, max-age=300';

/** What GET /inspections/{id}/image needs: the record (for the image's key and facts) and the stored image. */
export interface GetInspectionImageRouteDependencies extends ApiContext {
  store: Pick<InspectionStore, 'getRecord' | 'getObject'>;
  /** The largest image answered inline; MAX_INLINE_IMAGE_BYTES unless a test says otherwise. */
  maxInlineBytes?: number;
}

/** GET /inspections/{id}/image's answer: the stored image in base64, or `image: null` and `tooLarge` when it cannot travel inline. */
export interface InspectionImageView {
  inspectionId: string;
  contentType: InspectionRecord['image']['contentType'];
  width: number;
  height: number;
  sizeBytes: number;
  image: string | null;
  tooLarge?: true;
}

/**
 * GET /inspections/{id}/image: the wafer photo stored for an inspection (record.image.key), for the page's viewer.
 *
 * The image travels as base64 inside JSON, not as an image/* body: API Gateway (REST) hands a Lambda's binary answer
 * back as bytes only when the request's Accept header names a binary media type, and as base64 text otherwise, while
 * the local stack has no such rule. JSON answers the same way locally and deployed, whatever the client sends.
 *
 * People with `view` only (the Cognito authorizer's route); a camera is refused 403: it polls records, not photos.
 * An ill-formed id or one without a record is 404 INSPECTION_NOT_FOUND, as GET /inspections/{id} answers.
 */
export function createGetInspectionImageHandler(
  resolveDependencies: () => GetInspectionImageRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (event, _context, caller) => {
    // For people looking at a wafer; a camera reads back what became of its upload on GET /inspections/{id}.
    if (caller.kind !== 'person') throw new ForbiddenError('view');
    const { store, maxInlineBytes = MAX_INLINE_IMAGE_BYTES } = resolveDependencies();
    const inspectionId = event.pathParameters?.id ?? '';
    // An id that is not a ULID cannot exist, and must never reach an S3 key.
    if (!isInspectionId(inspectionId)) throw new InspectionNotFoundError(inspectionId.slice(0, 64));
    const record = await store.getRecord(inspectionId);
    if (!record) throw new InspectionNotFoundError(inspectionId);
    const { key, contentType, width, height, sizeBytes } = record.image;
    const facts = { inspectionId, contentType, width, height, sizeBytes };
    const headers = { 'Cache-Control': IMAGE_CACHE_CONTROL };
    // Decided on the record's size, so a 20 MiB camera image is never read into memory only to be left out.
    if (sizeBytes > maxInlineBytes) return { statusCode: 200, body: tooLarge(facts), headers };
    const bytes = await store.getObject(key);
    // The record stands but its image does not (removed by hand; both expire together otherwise): nothing to show.
    if (!bytes) throw new InspectionNotFoundError(inspectionId);
    if (bytes.byteLength > maxInlineBytes) return { statusCode: 200, body: tooLarge({ ...facts, sizeBytes: bytes.byteLength }), headers };
    const body: InspectionImageView = { ...facts, image: Buffer.from(bytes).toString('base64') };
    return { statusCode: 200, body, headers };
  });
}

function tooLarge(facts: Omit<InspectionImageView, 'image' | 'tooLarge'>): InspectionImageView {
  return { ...facts, image: null, tooLarge: true };
}
