import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ForbiddenError } from '../../core/errors';
import { readInspectionStats, STATS_WINDOW_NAMES, type StatsWindow } from '../../core/inspection-stats';
import type { InspectionHistory } from '../../core/ports/inspection-history';
import { apiHandler, type ApiContext } from './api-handler';
import { choiceParameter, queryParameter, stationParameter } from './query-parameters';

/** What GET /stats needs: the inspection history and a clock. */
export interface InspectionStatsRouteDependencies extends ApiContext {
  history: InspectionHistory;
  /** At most this many records read per answer (MAX_STATS_RECORDS by default); more in the window: `partial`. */
  maxRecords?: number;
  now?: () => Date;
}

/**
 * GET /stats?window=shift|day|week&station=<id>: per station, inspections, anomalies, calls, acknowledgements and time
 * to acknowledge over the window ending now, with chart buckets (functions/core/inspection-stats.ts). `window` defaults
 * to day. People only.
 */
export function createInspectionStatsHandler(
  resolveDependencies: () => InspectionStatsRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (event, _context, caller) => {
    if (caller.kind !== 'person') throw new ForbiddenError('view');
    const deps = resolveDependencies();
    const window: StatsWindow = choiceParameter(queryParameter(event, 'window'), 'window', STATS_WINDOW_NAMES) ?? 'day';
    const stationId = stationParameter(queryParameter(event, 'station'));
    const stats = await readInspectionStats(deps.history, {
      window,
      now: (deps.now ?? (() => new Date()))(),
      ...(stationId !== undefined ? { stationId } : {}),
      ...(deps.maxRecords !== undefined ? { maxRecords: deps.maxRecords } : {}),
    });
    return { statusCode: 200, body: stats };
  });
}
