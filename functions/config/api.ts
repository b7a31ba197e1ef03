import * as z from 'zod';
import { commaList, ConfigurationError, configFragment } from './environment';

/** What the API functions answer browsers with: the CORS origins, checked against the stage. */
export const apiConfig = configFragment(
  {
    STAGE: z.string().min(1).default('local'),
    /** Origins the API answers CORS for; `*` is refused outside the local stage. */
    ALLOWED_ORIGINS: commaList(),
  },
  (config) => {
    if (config.STAGE !== 'local' && config.ALLOWED_ORIGINS.includes('*')) {
      throw new ConfigurationError(`ALLOWED_ORIGINS must list exact origins in stage ${config.STAGE}; "*" is only allowed locally`);
    }
    for (const origin of config.ALLOWED_ORIGINS) {
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        throw new ConfigurationError(`ALLOWED_ORIGINS entry "${origin}" is not an origin (scheme://host[:port])`);
      }
    }
  },
);
