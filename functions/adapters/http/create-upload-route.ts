import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { stationForUpload } from '../../core/access';
import { incomingKey, STATION_ID } from '../../core/camera-upload';
import type { CameraUploadStore } from '../../core/ports/camera-upload-store';
import { MalformedRequestError, UnknownStationError } from '../../core/errors';
import { DEFAULT_STATION_ID, type Station } from '../../core/station-registry';
import { newInspectionId } from '../../core/inspection-keys';
import { apiHandler, type ApiContext } from './api-handler';
import { headerValue } from './headers';

/** What POST /uploads needs. */
export interface CreateUploadRouteDependencies extends ApiContext {
  uploads: CameraUploadStore;
  /** The camera path's size limit (CAMERA_MAX_IMAGE_BYTES). */
  maxBytes: number;
  /** How long the presigned upload stays usable (UPLOAD_URL_EXPIRY_SECONDS). */
  expiresInSeconds: number;
  /** The station registry, when there is one: an upload for a station it does not have is refused (422 UNKNOWN_STATION). */
  stations?: (stationId: string) => Promise<Station | undefined>;
  now?: () => Date;
}

/**
 * POST /uploads: mint the inspection id and answer 201 with a presigned S3 POST for `incoming/<id>`, bound to the
 * size limit, an image content type and the station, plus where to poll for the verdict. The client never chooses
 * the key: anything it sends beyond the station is ignored.
 */
export function createCreateUploadHandler(
  resolveDependencies: () => CreateUploadRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'inspect', async (event, _context, caller) => {
    const deps = resolveDependencies();
    // A camera's station is its key's (naming another is refused 403); the presigned POST is bound to it.
    const stationId = stationForUpload(caller, readStation(event));
    if (deps.stations && !(await deps.stations(stationId ?? DEFAULT_STATION_ID))) throw new UnknownStationError(stationId);
    const inspectionId = newInspectionId((deps.now ?? (() => new Date()))().getTime());
    const upload = await deps.uploads.presignUpload({
      key: incomingKey(inspectionId),
      maxBytes: deps.maxBytes,
      expiresInSeconds: deps.expiresInSeconds,
      ...(stationId !== undefined ? { stationId } : {}),
    });
    deps.logger.info('Camera upload granted', { inspectionId, stationId, expiresAt: upload.expiresAt });
    const statusUrl = `/inspections/${inspectionId}`;
    return { statusCode: 201, body: { inspectionId, upload, statusUrl }, headers: { Location: statusUrl, 'Cache-Control': 'no-store' } };
  });
}

/** The station from `?station=`, the X-Station-Id header or a JSON body `{"station": ...}`; undefined when none. */
function readStation(event: APIGatewayProxyEvent): string | undefined {
  let station: unknown = event.queryStringParameters?.station ?? headerValue(event.headers, 'x-station-id');
  const contentType = (headerValue(event.headers, 'content-type') ?? '').toLowerCase();
  const body = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (body.trim().length > 0 && (contentType.startsWith('application/json') || contentType.endsWith('+json'))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new MalformedRequestError('The request body is not valid JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MalformedRequestError('The JSON body must be an object.');
    const fromBody = (parsed as Record<string, unknown>).station;
    if (fromBody !== undefined) station = fromBody;
  }
  if (station === undefined) return undefined;
  if (typeof station !== 'string' || !STATION_ID.test(station)) {
    throw new MalformedRequestError('The station id must be 1–64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit.');
  }
  return station;
}
