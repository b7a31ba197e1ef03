import { wireInspectionStats } from '../wiring/inspection-stats';

/** GET /stats (API Gateway REST, Lambda proxy): per-station inspections, anomalies, calls and time to acknowledge over a shift, day or week. */
export const handler = wireInspectionStats();
