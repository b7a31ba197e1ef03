import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Detector } from '../../core/ports/detector';
import { stationForUpload } from '../../core/access';
import { isRefusal } from '../../core/errors';
import { newInspectionId } from '../../core/inspection-keys';
import { inspectWaferImage, type InspectionDependencies } from '../../core/inspect-wafer-image';
import { apiHandler, type ApiContext } from './api-handler';
import { readInspectionRequest } from './read-inspection-request';
import type { RequestObserver } from '../observability/observability';
import { toInspectionView } from './inspection-view';
import { DEFAULT_STATION_ID } from '../../core/station-registry';

/** What POST /inspections needs. */
export interface InspectImageRouteDependencies extends ApiContext {
  inspection: Omit<InspectionDependencies, 'detector'>;
  detector: () => Promise<Detector>;
  /** Told the inspection id once it is minted (log keys, trace annotation) and why an image was refused. */
  observer?: RequestObserver;
}

/** POST /inspections: read the image from the request, inspect it, answer 201 with the inspection (200 with the earlier one for bytes already inspected). */
export function createInspectImageHandler(
  resolveDependencies: () => InspectImageRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'inspect', async (event, _context, caller) => {
    const deps = resolveDependencies();
    try {
      const upload = await readInspectionRequest(event, deps.inspection.limits.maxBytes);
      // A camera sends for its key's station only; a person names one (the registry decides whether it exists).
      const stationId = stationForUpload(caller, upload.stationId) ?? DEFAULT_STATION_ID;
      // Minted here rather than in the pipeline so that every log line from now on, the pipeline's and the error
      // response's included, carries it (the observer leaves it on the logger until the invocation ends).
      const inspectionId = newInspectionId((deps.inspection.now?.() ?? new Date()).getTime());
      deps.observer?.inspectionStarted(inspectionId);
      // A detector that cannot load answers every detect() with its load error, so the image is still
      // checked, decoded and kept as not inspected instead of lost.
      const detector: Detector = await deps.detector().catch((error: unknown) => ({ detect: () => Promise.reject(error) }));
      const outcome = await inspectWaferImage({ ...deps.inspection, detector }, { bytes: upload.bytes, stationId, source: 'api', inspectionId });
      // The same bytes sent again answer the inspection they already have: 200, not a second 201 Created.
      return {
        statusCode: outcome.duplicate ? 200 : 201,
        body: toInspectionView(outcome.record, outcome.anomalyMask),
        headers: { Location: `/inspections/${outcome.record.inspectionId}` },
      };
    } catch (error) {
      if (isRefusal(error)) deps.observer?.rejected(error.code);
      throw error;
    }
  });
}
