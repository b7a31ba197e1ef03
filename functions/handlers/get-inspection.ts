import { wireGetInspection } from '../wiring/get-inspection';

/** GET /inspections/{id} (API Gateway REST, Lambda proxy): one inspection, or what became of a camera upload. */
export const handler = wireGetInspection();
