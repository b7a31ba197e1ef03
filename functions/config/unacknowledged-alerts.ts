import * as z from 'zod';
import { configFragment, optionalUrl } from './environment';

/** Where people are told that an alert reached nobody (unacknowledged, or no call could start). */
export const unacknowledgedAlertsConfig = configFragment({
  /** The SNS topic; unset locally (the notice is only logged). */
  ALERT_UNACKNOWLEDGED_TOPIC_ARN: z.string().startsWith('arn:', 'ALERT_UNACKNOWLEDGED_TOPIC_ARN must be an SNS topic ARN').optional(),
  /** Local and test override of the SNS endpoint (the emulator); unset in AWS. */
  SNS_ENDPOINT: optionalUrl,
});
