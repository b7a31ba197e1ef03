import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ForbiddenError, MalformedRequestError } from '../../core/errors';
import { ALERT_STATUSES, INSPECTION_STATUSES } from '../../core/inspection';
import { DECISION_FILTERS, type AlertFilter, type InspectionFilter } from '../../core/inspection-query';
import type { InspectionHistory } from '../../core/ports/inspection-history';
import { apiHandler, type ApiContext } from './api-handler';
import { choiceParameter, instantParameter, queryParameter, stationParameter, wholeNumberParameter } from './query-parameters';

/** What GET /inspections needs: the inspection history (the S3 inspection store). */
export interface ListInspectionsRouteDependencies extends ApiContext {
  store: InspectionHistory;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/**
 * GET /inspections: a page of the history, newest first (records without masks), `{"inspections": [...], "nextCursor":
 * string | null}`. Query: `limit` (1–100, default 20), `cursor` (the previous answer's nextCursor), and filters
 * `station`, `status`, `decision` (keep, scrap, hold, none), `alert` (open, or one alert status), `from` and `to` (ISO
 * 8601 instants, on createdAt). A bad value is 400 MALFORMED_REQUEST naming the parameter. People only.
 */
export function createListInspectionsHandler(
  resolveDependencies: () => ListInspectionsRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (event, _context, caller) => {
    // The history is for people; a camera polls its own inspections one by one (GET /inspections/{id}).
    if (caller.kind !== 'person') throw new ForbiddenError('view');
    const { store } = resolveDependencies();
    const limit = wholeNumberParameter(queryParameter(event, 'limit'), 'limit', { min: 1, max: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT });
    const filter = readInspectionFilter(event);
    const cursor = queryParameter(event, 'cursor');
    const page = await store.pageRecords({ limit, filter, ...(cursor !== undefined ? { cursor } : {}) });
    return { statusCode: 200, body: { inspections: page.records, nextCursor: page.next ?? null } };
  });
}

/** The history filter a query names; parameters left out do not narrow it. */
export function readInspectionFilter(event: Pick<APIGatewayProxyEvent, 'queryStringParameters'>): InspectionFilter {
  const stationId = stationParameter(queryParameter(event, 'station'));
  const status = choiceParameter(queryParameter(event, 'status'), 'status', INSPECTION_STATUSES);
  const decision = choiceParameter(queryParameter(event, 'decision'), 'decision', DECISION_FILTERS);
  const alert = choiceParameter<AlertFilter>(queryParameter(event, 'alert'), 'alert', ['open', ...ALERT_STATUSES]);
  const fromMs = instantParameter(queryParameter(event, 'from'), 'from');
  const toMs = instantParameter(queryParameter(event, 'to'), 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw new MalformedRequestError('"from" must not be after "to".', 'from');
  return {
    ...(stationId !== undefined ? { stationId } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(decision !== undefined ? { decision } : {}),
    ...(alert !== undefined ? { alert } : {}),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
  };
}
