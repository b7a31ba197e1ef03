import * as z from 'zod';
import { E164, hasAllowedPrefix } from '../core/phone-number';
import { countryPrefixesConfig } from './country-prefixes';
import { ConfigurationError, configFragment, optionalUrl, requiredText } from './environment';

const phoneNumber = (name: string) =>
  z.string({ error: `${name} environment variable is not set` }).regex(E164, `${name} must be an E.164 phone number such as +14155550100`);

/**
 * Amazon Connect, for the one function that rings people: the instance, the contact flow, the number calls come from
 * and, without a station registry, the one operator rung. Both numbers must be inside OPERATOR_COUNTRY_PREFIXES.
 */
export const connectConfig = configFragment(
  {
    CONNECT_INSTANCE_ID: requiredText('CONNECT_INSTANCE_ID'),
    CONNECT_CONTACT_FLOW_ID: requiredText('CONNECT_CONTACT_FLOW_ID'),
    CONNECT_SOURCE_PHONE_NUMBER: phoneNumber('CONNECT_SOURCE_PHONE_NUMBER'),
    /** Without a station registry, the one default station's ladder is this number. */
    OPERATOR_PHONE_NUMBER: phoneNumber('OPERATOR_PHONE_NUMBER'),
    ...countryPrefixesConfig.shape,
    /** Local and test override of the Connect endpoint (the emulator); unset in AWS. */
    CONNECT_ENDPOINT: optionalUrl,
    /** StartOutboundVoiceContact requests a second one place-call container may send (Connect allows about 2 per instance). */
    CONNECT_CALLS_PER_SECOND: z.coerce.number().positive().max(100).default(1),
  },
  (config) => {
    countryPrefixesConfig.check?.(config);
    for (const name of ['OPERATOR_PHONE_NUMBER', 'CONNECT_SOURCE_PHONE_NUMBER'] as const) {
      if (!hasAllowedPrefix(config[name], config.OPERATOR_COUNTRY_PREFIXES)) {
        throw new ConfigurationError(`${name} is outside OPERATOR_COUNTRY_PREFIXES (${config.OPERATOR_COUNTRY_PREFIXES.join(',')})`);
      }
    }
  },
);
