import { describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../../functions/config/environment';
import { stationRegistryConfig } from '../../../functions/config/station-registry';

describe('stationRegistryConfig', () => {
  it('has no registry unless one is named, and reads its numbers through the default prefixes', () => {
    // Act + Assess
    expect(parseEnvironment([stationRegistryConfig], {})).toEqual({ STATION_REGISTRY_CACHE_SECONDS: 15, OPERATOR_COUNTRY_PREFIXES: ['+1', '+44'] });
    expect(parseEnvironment([stationRegistryConfig], { STATION_REGISTRY_TABLE: 'stations', OPERATOR_COUNTRY_PREFIXES: '+44' })).toMatchObject({
      STATION_REGISTRY_TABLE: 'stations',
      OPERATOR_COUNTRY_PREFIXES: ['+44'],
    });
  });

  it('refuses a malformed prefix list or cache time, by name', () => {
    // Act + Assess
    expect(() => parseEnvironment([stationRegistryConfig], { OPERATOR_COUNTRY_PREFIXES: '44' })).toThrow(/OPERATOR_COUNTRY_PREFIXES entry "44"/);
    expect(() => parseEnvironment([stationRegistryConfig], { STATION_REGISTRY_CACHE_SECONDS: '3601' })).toThrow(/STATION_REGISTRY_CACHE_SECONDS/);
  });
});
