import { z } from 'zod';
import { ConfigurationError, configFragment, optionalUrl } from './environment';

/** Which anomaly detector answers, and where its model is. */
export const detectorConfig = configFragment(
  {
    DETECTOR: z.enum(['embedded', 'lookoutvision']).default('embedded'),
    /** A file path (relative to the working directory or absolute) or an s3://bucket/key URI of the embedded model. */
    EMBEDDED_MODEL_URI: z.string().min(1).default('models/wafer-default.wwm'),
    LOOKOUT_PROJECT_NAME: z.string().min(1).optional(),
    LOOKOUT_MODEL_VERSION: z.string().min(1).optional(),
    /** Local and test override of the Lookout for Vision endpoint (the emulator); unset in AWS. */
    LOOKOUT_ENDPOINT: optionalUrl,
  },
  (config) => {
    if (config.DETECTOR !== 'lookoutvision') return;
    for (const name of ['LOOKOUT_PROJECT_NAME', 'LOOKOUT_MODEL_VERSION'] as const) {
      if (!config[name]) throw new ConfigurationError(`${name} environment variable is not set (required when DETECTOR=lookoutvision)`);
    }
  },
);
