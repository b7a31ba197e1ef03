import * as z from 'zod';
import { ConfigurationError, configFragment } from './environment';

/** Which verdicts ring someone and which are listed for review (a station in the registry may set its own). */
export const alertPolicyConfig = configFragment(
  {
    /** Anomalous verdicts at or above this confidence ring the operator. */
    ALERT_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
    /** Inspections at least this likely anomalous, but below the call threshold, are recorded as needs-review. */
    ALERT_REVIEW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.3),
  },
  (config) => {
    if (config.ALERT_REVIEW_THRESHOLD > config.ALERT_CONFIDENCE_THRESHOLD) {
      throw new ConfigurationError('ALERT_REVIEW_THRESHOLD must not be above ALERT_CONFIDENCE_THRESHOLD');
    }
  },
);
