import { wireListStations } from '../wiring/list-stations';

/** GET /stations (API Gateway REST, Lambda proxy): the stations people pick from. */
export const handler = wireListStations();
