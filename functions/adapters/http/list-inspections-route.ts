import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ForbiddenError, MalformedRequestError } from '../../core/errors';
import { INSPECTION_STATUSES, type InspectionStatus } from '../../core/inspection';
import type { InspectionStore } from '../../core/ports/inspection-store';
import { apiHandler, type ApiContext } from './api-handler';

/** What GET /inspections needs. */
export interface ListInspectionsRouteDependencies extends ApiContext {
  store: InspectionStore;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

/** GET /inspections?limit=N&status=S: the most recent inspections, newest first (records without masks), optionally of one status. */
export function createListInspectionsHandler(
  resolveDependencies: () => ListInspectionsRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (event, _context, caller) => {
    // The history is for people; a camera polls its own inspections one by one (GET /inspections/{id}).
    if (caller.kind !== 'person') throw new ForbiddenError('view');
    const { store } = resolveDependencies();
    const limit = parseLimit(event.queryStringParameters?.limit);
    const status = parseStatus(event.queryStringParameters?.status);
    const inspections = await store.listRecentRecords(limit, status ? { status } : {});
    return { statusCode: 200, body: { inspections } };
  });
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIST_LIMIT;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new MalformedRequestError(`"limit" must be a whole number from 1 to ${MAX_LIST_LIMIT}.`);
  }
  return limit;
}

function parseStatus(text: string | undefined): InspectionStatus | undefined {
  if (text === undefined) return undefined;
  if (!(INSPECTION_STATUSES as readonly string[]).includes(text)) {
    throw new MalformedRequestError(`"status" must be one of ${INSPECTION_STATUSES.join(', ')}.`);
  }
  return text as InspectionStatus;
}
