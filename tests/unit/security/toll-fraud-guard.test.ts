import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectOperatorCaller, OperatorCallFailedError } from '../../../functions/adapters/connect/connect-operator-caller';
import { ConfigurationError } from '../../../functions/config/environment';
import { hasAllowedPrefix } from '../../../functions/core/phone-number';
import { readPlaceCallConfig } from '../../../functions/wiring/place-call';
import type { OutboundCall } from '../../../functions/core/ports/operator-caller';

const base = {
  IMAGE_BUCKET: 'waferwatch-images',
  CONNECT_INSTANCE_ID: '11111111-2222-3333-4444-555555555555',
  CONNECT_CONTACT_FLOW_ID: '66666666-7777-8888-9999-000000000000',
  CONNECT_SOURCE_PHONE_NUMBER: '+448081570000',
  OPERATOR_PHONE_NUMBER: '+447700900123',
  STAGE: 'prod',
  ALERT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts',
  ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/waferwatch-alerts-dlq',
  ALERT_STATE_TABLE: 'waferwatch-alert-state',
};
/** A ladder call to `destinationPhoneNumber`, as place-call builds it from the station registry. */
const callTo = (destinationPhoneNumber: string): OutboundCall => ({
  inspectionId: '01JTESTINSPECTION',
  stationId: 'litho-2',
  confidencePercent: 97,
  stationName: 'Litho two',
  callKind: 'anomaly',
  destinationPhoneNumber,
  contactName: 'Line operator',
  level: 1,
  loop: 1,
  step: 0,
  index: 0,
});

describe("OPERATOR_COUNTRY_PREFIXES at the place-call function's cold start", () => {
  it('accepts operator and source numbers inside the allow-list, country codes or longer prefixes', () => {
    // Act
    const uk = readPlaceCallConfig({ ...base, OPERATOR_COUNTRY_PREFIXES: '+44' });
    const areaCodes = readPlaceCallConfig({
      ...base,
      OPERATOR_PHONE_NUMBER: '+14155550100',
      CONNECT_SOURCE_PHONE_NUMBER: '+16505550100',
      OPERATOR_COUNTRY_PREFIXES: '+1415, +1650',
    });

    // Assess
    expect(uk.OPERATOR_COUNTRY_PREFIXES).toEqual(['+44']);
    expect(areaCodes.OPERATOR_COUNTRY_PREFIXES).toEqual(['+1415', '+1650']);
  });

  it('defaults to the NANP and the UK when unset (deployed stages set it: serverless.yml has no default outside dev)', () => {
    // Act
    const config = readPlaceCallConfig(base);

    // Assess
    expect(config.OPERATOR_COUNTRY_PREFIXES).toEqual(['+1', '+44']);
  });

  it('refuses an operator or source number outside the list by name, without writing the number into the error', () => {
    // Act
    const operator = () => readPlaceCallConfig({ ...base, OPERATOR_PHONE_NUMBER: '+882123456789', OPERATOR_COUNTRY_PREFIXES: '+44' });
    const source = () => readPlaceCallConfig({ ...base, CONNECT_SOURCE_PHONE_NUMBER: '+15555550199', OPERATOR_COUNTRY_PREFIXES: '+44' });
    // +1 would let a Caribbean premium number in; +1415 does not.
    const narrowed = () =>
      readPlaceCallConfig({ ...base, OPERATOR_PHONE_NUMBER: '+18765550100', CONNECT_SOURCE_PHONE_NUMBER: '+14155550100', OPERATOR_COUNTRY_PREFIXES: '+1415' });

    // Assess
    expect(operator).toThrow(ConfigurationError);
    expect(operator).toThrow(/OPERATOR_PHONE_NUMBER is outside OPERATOR_COUNTRY_PREFIXES \(\+44\)/);
    expect(operator).not.toThrow(/882123456789/);
    expect(source).toThrow(/CONNECT_SOURCE_PHONE_NUMBER is outside OPERATOR_COUNTRY_PREFIXES/);
    expect(source).not.toThrow(/5555550199/);
    expect(narrowed).toThrow(/OPERATOR_PHONE_NUMBER is outside/);
  });

  it('refuses malformed or empty prefix lists', () => {
    for (const prefixes of ['44', '+0', '+44x', '+', '+123456789', ' , ', '*']) {
      // Act
      const parse = () => readPlaceCallConfig({ ...base, OPERATOR_COUNTRY_PREFIXES: prefixes });

      // Assess
      expect(parse, prefixes).toThrow(/OPERATOR_COUNTRY_PREFIXES/);
    }
  });

  it('matches only whole E.164 numbers that start with an allowed prefix', () => {
    // Assess
    expect(hasAllowedPrefix('+447700900123', ['+44'])).toBe(true);
    expect(hasAllowedPrefix('+4477 0090 0123', ['+44'])).toBe(false);
    expect(hasAllowedPrefix('447700900123', ['+44', '44'])).toBe(false);
    expect(hasAllowedPrefix('+447700900123', ['+4'])).toBe(true);
    expect(hasAllowedPrefix('+447700900123', ['+1', '+49'])).toBe(false);
    expect(hasAllowedPrefix('+447700900123', [])).toBe(false);
    expect(hasAllowedPrefix('+447700900123', ['+'])).toBe(false);
  });
});

describe('ConnectOperatorCaller re-checks the numbers before every call', () => {
  const client = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const connect = mockClient(client);

  beforeEach(() => {
    connect.reset();
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'contact-1' });
  });

  // The destination is no longer configuration: every call brings its own, from the station registry, and the adapter
  // checks it (and the source) against the list before each call.
  const caller = (sourcePhoneNumber = '+448081570000', allowedCountryPrefixes: string[] | undefined = ['+44']) =>
    new ConnectOperatorCaller({
      client,
      instanceId: base.CONNECT_INSTANCE_ID,
      contactFlowId: base.CONNECT_CONTACT_FLOW_ID,
      sourcePhoneNumber,
      allowedCountryPrefixes,
    });

  it('places the call when both numbers are inside the list', async () => {
    // Act
    const result = await caller().startCall(callTo('+447700900123'));

    // Assess
    expect(result).toEqual({ contactId: 'contact-1' });
    expect(connect.commandCalls(StartOutboundVoiceContactCommand)).toHaveLength(1);
    expect(connect.commandCalls(StartOutboundVoiceContactCommand)[0]?.args[0].input.DestinationPhoneNumber).toBe('+447700900123');
  });

  it('refuses, without reaching Connect, a destination or source outside the list or not in E.164 form', async () => {
    for (const [destination, source, prefixes] of [
      ['+882123456789', '+448081570000', ['+44']],
      ['+447700900123', '+15555550199', ['+44']],
      ['+44 7700 900123', '+448081570000', ['+44']],
      ['447700900123', '+448081570000', undefined],
      ['+447700900123', 'anonymous', undefined],
    ] as Array<[string, string, string[] | undefined]>) {
      // Act
      const error = await caller(source, prefixes)
        .startCall(callTo(destination))
        .catch((caught: unknown) => caught);

      // Assess
      expect(error, destination).toBeInstanceOf(OperatorCallFailedError);
      expect(error, destination).toMatchObject({ reason: 'NumberNotAllowedByConfiguration', retryable: false });
      expect((error as Error).message).not.toMatch(/\d{6,}/);
    }
    expect(connect.commandCalls(StartOutboundVoiceContactCommand)).toHaveLength(0);
  });
});
