import { NUMBER_PREFIX } from '../core/phone-number';
import { commaList, ConfigurationError, configFragment } from './environment';

/**
 * Toll-fraud guard: the only number prefixes a number the product rings may have (comma-separated, e.g. `+44` or
 * `+1415,+1650`). Deployed stages set it explicitly (serverless.yml param operatorCountryPrefixes); unset, it is the
 * NANP and the UK, where the sample numbers are. See docs/security.md.
 */
export const countryPrefixesConfig = configFragment(
  {
    OPERATOR_COUNTRY_PREFIXES: commaList('+1,+44'),
  },
  (config) => {
    if (config.OPERATOR_COUNTRY_PREFIXES.length === 0) {
      throw new ConfigurationError('OPERATOR_COUNTRY_PREFIXES must list at least one prefix such as +44');
    }
    for (const prefix of config.OPERATOR_COUNTRY_PREFIXES) {
      if (!NUMBER_PREFIX.test(prefix)) throw new ConfigurationError(`OPERATOR_COUNTRY_PREFIXES entry "${prefix}" is not a number prefix such as +44 or +1415`);
    }
  },
);
