import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ForbiddenError } from '../../core/errors';
import type { StationCatalogue } from '../../core/ports/station-registry';
import { DEFAULT_STATION_ID } from '../../core/station-registry';
import { apiHandler, type ApiContext } from './api-handler';

/** What GET /stations needs: the registry, or nothing when the installation has none. */
export interface ListStationsRouteDependencies extends ApiContext {
  stations?: StationCatalogue;
}

/** One station as people see it: what it is called and its settings; never a phone number. */
export interface StationView {
  stationId: string;
  name: string;
  /** How many levels its escalation ladder has. */
  escalationLevels: number;
  cooldownSeconds?: number;
  confidenceThreshold?: number;
  dailyCallCap?: number;
}

/**
 * GET /stations: the stations people may pick (the page's station picker), sorted by name. `registry: false` tells
 * the page the installation has no registry, so a free-text station is all it can offer. Who is called, and their
 * numbers, are not part of it: the route is for choosing a station, not for reading the ladders.
 */
export function createListStationsHandler(
  resolveDependencies: () => ListStationsRouteDependencies,
): (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult> {
  return apiHandler(resolveDependencies, 'view', async (_event, _context, caller) => {
    // For people picking a station; a camera's station is its key's.
    if (caller.kind !== 'person') throw new ForbiddenError('view');
    const { stations } = resolveDependencies();
    if (!stations) {
      return { statusCode: 200, body: { registry: false, stations: [{ stationId: DEFAULT_STATION_ID, name: 'the default station', escalationLevels: 1 }] } };
    }
    const views: StationView[] = (await stations.listStations())
      .map((station) => ({
        stationId: station.id,
        name: station.name,
        escalationLevels: station.escalation.length,
        ...(station.cooldownSeconds !== undefined ? { cooldownSeconds: station.cooldownSeconds } : {}),
        ...(station.confidenceThreshold !== undefined ? { confidenceThreshold: station.confidenceThreshold } : {}),
        ...(station.dailyCallCap !== undefined ? { dailyCallCap: station.dailyCallCap } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.stationId.localeCompare(b.stationId));
    return { statusCode: 200, body: { registry: true, stations: views }, headers: { 'Cache-Control': 'private, max-age=30' } };
  });
}
