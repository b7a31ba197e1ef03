import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Detector } from '../../core/ports/detector';
import { stationForUpload } from '../../core/access';
import { DetectorUnavailableError, isRefusal } from '../../core/errors';
import type { InspectionRecord } from '../../core/inspection';
import { newInspectionId } from '../../core/inspection-keys';
import { inspectWaferImage, type InspectionDependencies, type InspectionOutcome, type InspectionSteps } from '../../core/inspect-wafer-image';
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

/** The compatibility route for clients of Amazon Lookout for Vision's DetectAnomalies (serverless.yml, inspectImage's second event). */
export const DETECT_ANOMALIES_RESOURCE = '/detect-anomalies';

/**
 * POST /inspections: read the image from the request, inspect it, answer 201 with the inspection (200 with the earlier
 * one for bytes already inspected, with `alreadyInspected`); Lookout's IsAnomalous, Confidence and Anomalies are also
 * at the top of the answer. POST /detect-anomalies, the same function: the same inspection, answered 200 in Lookout
 * for Vision's DetectAnomalies shape (`DetectAnomalyResult`, and IsAnomalous and Confidence at the top too) for the
 * original sample's page and scripts.
 */
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
      const headers = {
        Location: `/inspections/${outcome.record.inspectionId}`,
        ...(outcome.steps ? { 'Server-Timing': serverTiming(outcome.steps) } : {}),
      };
      if (event.resource === DETECT_ANOMALIES_RESOURCE) return { statusCode: 200, body: toDetectAnomaliesAnswer(outcome), headers };
      // The same bytes sent again answer the inspection they already have: 200, not a second 201 Created.
      return { statusCode: outcome.duplicate ? 200 : 201, body: toInspectionAnswer(outcome), headers };
    } catch (error) {
      if (isRefusal(error)) deps.observer?.rejected(error.code);
      throw error;
    }
  });
}

/**
 * The steps' durations as a W3C Server-Timing header (`decode;dur=11.7, detect;dur=14.5, …`): a browser's developer
 * tools and any HTTP client show where an upload's time went. Without Timing-Allow-Origin, a page of another origin
 * cannot read it.
 */
export function serverTiming(steps: InspectionSteps): string {
  return Object.entries(steps)
    .map(([name, ms]) => `${name};dur=${ms}`)
    .join(', ');
}

/** POST /inspections' answer: the inspection, Lookout's verdict fields at the top, and where the image was seen first when it was. */
function toInspectionAnswer(outcome: InspectionOutcome) {
  const { record } = outcome;
  return {
    ...toInspectionView(record, outcome.anomalyMask),
    ...lookoutVerdict(record),
    ...(outcome.duplicate ? { alreadyInspected: { inspectionId: record.inspectionId, at: record.createdAt, stationId: record.stationId } } : {}),
  };
}

/** POST /detect-anomalies' answer: Lookout for Vision's DetectAnomalies response, IsAnomalous and Confidence repeated at the top, and the inspection id. */
function toDetectAnomaliesAnswer(outcome: InspectionOutcome) {
  const verdict = lookoutVerdict(outcome.record);
  const mask = outcome.anomalyMask ? { AnomalyMask: Buffer.from(outcome.anomalyMask).toString('base64') } : {};
  return {
    DetectAnomalyResult: { Source: { Type: 'direct' }, ...verdict, ...mask },
    IsAnomalous: verdict.IsAnomalous,
    Confidence: verdict.Confidence,
    inspectionId: outcome.record.inspectionId,
  };
}

function lookoutVerdict(record: InspectionRecord) {
  const detection = record.detection;
  // The pipeline answers only inspected verdicts (a detector failure is a 503); this is a guard, not a path.
  if (!detection) throw new DetectorUnavailableError('The image is stored but was not inspected; send it again shortly.');
  return {
    IsAnomalous: detection.IsAnomalous,
    Confidence: detection.Confidence,
    ...(detection.Anomalies !== undefined ? { Anomalies: detection.Anomalies } : {}),
  };
}
