import { wireListInspections } from '../wiring/list-inspections';

/** GET /inspections (API Gateway REST, Lambda proxy): the most recent inspections. */
export const handler = wireListInspections();
