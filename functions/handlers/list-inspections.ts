import { wireListInspections } from '../wiring/list-inspections';

/** GET /inspections (API Gateway REST, Lambda proxy): a page of the inspection history, filtered. */
export const handler = wireListInspections();
