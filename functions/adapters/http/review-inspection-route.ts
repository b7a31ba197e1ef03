import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MalformedRequestError, InspectionNotFoundError } from '../../core/errors';
import { isInspectionId } from '../../core/inspection-keys';
import { labelInspection, type LabelDependencies } from '../../core/label-inspection';
import { LABEL_VERDICTS, type LabelVerdict } from '../../core/inspection';
import { apiHandler, type ApiContext } from './api-handler';
import { toInspectionView } from './inspection-view';

/** What POST /inspections/{id}/review needs. */
export interface ReviewInspectionRouteDependencies extends ApiContext, Omit<LabelDependencies, 'logger'> {}

/**
 * POST /inspections/{id}/review `{"verdict": "normal" | "anomalous", "note"?: "..."}`: an engineer's review labels the
 * inspection for training (it outranks the operator's answer on the call) and keeps its image under feedback/. Only
 * the engineer group may (403 otherwise). Answers 200 with the inspection as it stands.
 */
export function createReviewInspectionHandler(
  resolveDependencies: () => ReviewInspectionRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'review', async (event, _context, caller) => {
    const deps = resolveDependencies();
    const inspectionId = event.pathParameters?.id ?? '';
    if (!isInspectionId(inspectionId)) throw new InspectionNotFoundError(inspectionId.slice(0, 64));
    const { verdict, note } = readReview(event);
    const record = await labelInspection(deps, {
      inspectionId,
      verdict,
      source: 'engineer-review',
      by: caller.kind === 'person' ? caller.name : caller.keyId,
      ...(note ? { note } : {}),
    });
    return { statusCode: 200, body: toInspectionView(record), headers: { 'Cache-Control': 'no-store' } };
  });
}

function readReview(event: APIGatewayProxyEvent): { verdict: LabelVerdict; note?: string } {
  const text = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new MalformedRequestError('Send the review as JSON: {"verdict": "normal" or "anomalous", "note": "…"}.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MalformedRequestError('The review must be a JSON object.');
  const { verdict, note } = body as Record<string, unknown>;
  if (typeof verdict !== 'string' || !(LABEL_VERDICTS as readonly string[]).includes(verdict)) {
    throw new MalformedRequestError(`"verdict" must be one of ${LABEL_VERDICTS.join(', ')}.`);
  }
  if (note !== undefined && typeof note !== 'string') throw new MalformedRequestError('"note" must be text.');
  return { verdict: verdict as LabelVerdict, ...(note?.trim() ? { note: note.trim() } : {}) };
}
