import * as z from 'zod';
import { configFragment, optionalUrl, positiveInt, requiredText } from './environment';

/** Local and test override of the DynamoDB endpoint (dynalite); unset in AWS. */
export const DYNAMODB_ENDPOINT = optionalUrl;

/** The DynamoDB table of the alert state: image claims, alert leases, station cooldowns, the daily call count, the ladders. */
export const alertStateConfig = configFragment({
  ALERT_STATE_TABLE: requiredText('ALERT_STATE_TABLE', 3),
  DYNAMODB_ENDPOINT,
});

/**
 * The alert state table for a function that works without it: the record-decision function records a decision
 * whether or not it can acknowledge a ladder (calls placed before ladders existed have none).
 */
export const optionalAlertStateConfig = configFragment({
  ALERT_STATE_TABLE: z.string().min(3).optional(),
  DYNAMODB_ENDPOINT,
});

/** How long the same image bytes sent again are the same inspection (no second inspection, no second call). */
export const imageDedupeConfig = configFragment({
  IMAGE_DEDUPE_TTL_SECONDS: positiveInt(14 * 86_400),
});
