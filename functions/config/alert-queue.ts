import * as z from 'zod';
import { configFragment, optionalUrl } from './environment';

/** The alert queue: anomalous inspections and contact events put messages on it; the place-call function takes them. */
export const alertQueueConfig = configFragment({
  ALERT_QUEUE_URL: z.url({ error: 'ALERT_QUEUE_URL environment variable is not set (or not a URL)' }),
  /** Local and test override of the SQS endpoint (the emulator); unset in AWS. */
  SQS_ENDPOINT: optionalUrl,
});

/** Where the place-call function parks alerts that will not be called (refused, capped, out of retries), with the reason. */
export const alertDeadLetterQueueConfig = configFragment({
  ALERT_DEAD_LETTER_QUEUE_URL: z.url({ error: 'ALERT_DEAD_LETTER_QUEUE_URL environment variable is not set (or not a URL)' }),
});
