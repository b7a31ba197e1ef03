import * as z from 'zod';
import { DYNAMODB_ENDPOINT } from './alert-state';
import { countryPrefixesConfig } from './country-prefixes';
import { configFragment } from './environment';

/**
 * The station registry's DynamoDB table. Set: stations, their spoken names and escalation ladders come from it, and
 * uploads naming a station it does not have are refused (UNKNOWN_STATION). Unset: one default station rings
 * OPERATOR_PHONE_NUMBER, as before the registry. Its numbers are read back through the toll-fraud guard, so the
 * fragment includes OPERATOR_COUNTRY_PREFIXES.
 */
export const stationRegistryConfig = configFragment(
  {
    STATION_REGISTRY_TABLE: z.string().min(3).optional(),
    /** How long a function keeps a station it read from the registry before reading it again. */
    STATION_REGISTRY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
    DYNAMODB_ENDPOINT,
    ...countryPrefixesConfig.shape,
  },
  (config) => countryPrefixesConfig.check?.(config),
);
