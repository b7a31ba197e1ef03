import { describe, expect, it } from 'vitest';
import { connectConfig } from '../../../functions/config/connect';
import { ConfigurationError, parseEnvironment } from '../../../functions/config/environment';

const valid = {
  CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
  CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
  OPERATOR_PHONE_NUMBER: '+447700900123',
};

describe('connectConfig', () => {
  it('reads the instance, the flow, both numbers and the call rate, with the default prefixes', () => {
    // Act
    const config = parseEnvironment([connectConfig], valid);

    // Assess
    expect(config).toEqual({ ...valid, OPERATOR_COUNTRY_PREFIXES: ['+1', '+44'], CONNECT_CALLS_PER_SECOND: 1 });
  });

  it('names each missing variable', () => {
    // Prepare
    const { OPERATOR_PHONE_NUMBER: _operator, CONNECT_INSTANCE_ID: _instance, ...rest } = valid;

    // Act
    const parse = () => parseEnvironment([connectConfig], rest);

    // Assess
    expect(parse).toThrow(/OPERATOR_PHONE_NUMBER environment variable is not set/);
    expect(parse).toThrow(/CONNECT_INSTANCE_ID environment variable is not set/);
  });

  it('refuses a phone number that is not E.164, naming the variable and not echoing the value', () => {
    // Act
    const error = (() => {
      try {
        parseEnvironment([connectConfig], { ...valid, OPERATOR_PHONE_NUMBER: '07700 900123' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigurationError');
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(/OPERATOR_PHONE_NUMBER must be an E.164 phone number/);
    expect(error.message).not.toContain('900123');
  });

  it('refuses either number outside OPERATOR_COUNTRY_PREFIXES, by name', () => {
    // Act + Assess
    expect(() => parseEnvironment([connectConfig], { ...valid, OPERATOR_COUNTRY_PREFIXES: '+44' })).toThrow(
      /CONNECT_SOURCE_PHONE_NUMBER is outside OPERATOR_COUNTRY_PREFIXES \(\+44\)/,
    );
    expect(() => parseEnvironment([connectConfig], { ...valid, OPERATOR_COUNTRY_PREFIXES: '+1' })).toThrow(
      /OPERATOR_PHONE_NUMBER is outside OPERATOR_COUNTRY_PREFIXES \(\+1\)/,
    );
  });
});
