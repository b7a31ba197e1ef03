import { describe, expect, it } from 'vitest';
import { countryPrefixesConfig } from '../../../functions/config/country-prefixes';
import { parseEnvironment } from '../../../functions/config/environment';

describe('countryPrefixesConfig', () => {
  it('is the NANP and the UK unless told otherwise, and takes country codes or longer prefixes', () => {
    // Act + Assess
    expect(parseEnvironment([countryPrefixesConfig], {}).OPERATOR_COUNTRY_PREFIXES).toEqual(['+1', '+44']);
    expect(parseEnvironment([countryPrefixesConfig], { OPERATOR_COUNTRY_PREFIXES: '+1415, +1650' }).OPERATOR_COUNTRY_PREFIXES).toEqual(['+1415', '+1650']);
  });

  it('refuses malformed or empty lists', () => {
    for (const prefixes of ['44', '+0', '+44x', '+', '+123456789', ' , ', '*']) {
      // Act + Assess
      expect(() => parseEnvironment([countryPrefixesConfig], { OPERATOR_COUNTRY_PREFIXES: prefixes }), prefixes).toThrow(/OPERATOR_COUNTRY_PREFIXES/);
    }
  });
});
