import { wireGetInspectionImage } from '../wiring/get-inspection-image';

/** GET /inspections/{id}/image (API Gateway REST, Lambda proxy): the stored wafer photo of one inspection, for the page's viewer. */
export const handler = wireGetInspectionImage();
