import { wireReviewInspection } from '../wiring/review-inspection';

/** POST /inspections/{id}/review (API Gateway REST, Lambda proxy): an engineer labels an inspection for training. */
export const handler = wireReviewInspection();
