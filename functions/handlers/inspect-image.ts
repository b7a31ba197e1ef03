import { wireInspectImage } from '../wiring/inspect-image';

/** POST /inspections and POST /detect-anomalies (API Gateway REST, Lambda proxy): inspect a wafer image, queue the alert of an anomaly. */
export const handler = wireInspectImage();
