import { ConnectClient, StartOutboundVoiceContactCommand } from '@aws-sdk/client-connect';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConnectOperatorCaller } from '../../functions/adapters/connect-operator-caller';
import { createInspectImageHandler } from '../../functions/routes/inspect-image-route';
import { apiEvent, lambdaContext, multipartBody } from '../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger, ScriptedDetector, verdict } from '../fixtures/fakes';
import { syntheticWafer } from '../fixtures/wafer-images';

// What configuration says; nothing a request carries may change any of it.
const CONFIGURED = {
  InstanceId: '11111111-2222-4333-8444-555555555555',
  ContactFlowId: '66666666-7777-4888-9999-000000000000',
  SourcePhoneNumber: '+448081570000',
  DestinationPhoneNumber: '+447700900123',
};
const ATTRIBUTE_NAMES = ['confidencePercent', 'inspectionId', 'stationId'];

/** Values an attacker would try: other numbers (premium, satellite, spaced), other instances and flows, injection text. */
const hostileValue = fc.oneof(
  fc.constantFrom(
    '+882123456789',
    '+447700900999',
    '+1 900 555 0100',
    '0044 909 8790000',
    'tel:+881612345678',
    '99999999-9999-4999-8999-999999999999',
    'arn:aws:connect:eu-west-1:123456789012:instance/99999999-9999-4999-8999-999999999999',
    '{"DestinationPhoneNumber":"+882123456789"}',
    '${OPERATOR_PHONE_NUMBER}',
    '__proto__',
  ),
  fc.string({ maxLength: 40 }),
);
/** Field and header names that sound like they might steer the call. */
const hostileName = fc.oneof(
  fc.constantFrom(
    'destination',
    'DestinationPhoneNumber',
    'destinationPhoneNumber',
    'operatorPhoneNumber',
    'OPERATOR_PHONE_NUMBER',
    'phone',
    'to',
    'SourcePhoneNumber',
    'InstanceId',
    'instanceId',
    'ContactFlowId',
    'contactFlowId',
    'connectInstanceId',
    'Attributes',
    'constructor',
    '__proto__',
  ),
  fc.string({ minLength: 1, maxLength: 16 }),
);
const hostileFields = fc.dictionary(hostileName, hostileValue, { maxKeys: 5 });
/** Header names must be valid tokens to reach a handler at all (API Gateway refuses the rest). */
const hostileHeaders = fc.dictionary(
  fc.oneof(fc.constantFrom('x-destination-phone-number', 'x-operator-phone', 'x-connect-instance-id', 'x-contact-flow-id', 'x-amz-target', 'host', 'x-forwarded-for'), fc.stringMatching(/^x-[a-z0-9-]{1,16}$/)),
  hostileValue,
  { maxKeys: 4 },
);
/** A station id the API accepts (so the call happens), one that looks like a number, or a hostile one. */
const stationId = fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), fc.constantFrom('+447700900999', '882123456789', 'line-4'), hostileValue), { nil: undefined });

interface HostileRequest {
  shape: 'raw' | 'multipart' | 'json';
  station: string | undefined;
  stationIn: 'query' | 'header' | 'body';
  fields: Record<string, string>;
  headers: Record<string, string>;
  query: Record<string, string>;
  stageVariables: Record<string, string> | null;
}

const hostileRequest: fc.Arbitrary<HostileRequest> = fc.record({
  shape: fc.constantFrom('raw', 'multipart', 'json'),
  station: stationId,
  stationIn: fc.constantFrom('query', 'header', 'body'),
  fields: hostileFields,
  headers: hostileHeaders,
  query: hostileFields,
  stageVariables: fc.option(hostileFields, { nil: null }),
});

function toEvent(request: HostileRequest, image: Buffer): APIGatewayProxyEvent {
  const query: Record<string, string> = { ...request.query };
  const headers: Record<string, string> = { ...request.headers };
  if (request.station !== undefined && request.stationIn === 'query') query.station = request.station;
  if (request.station !== undefined && request.stationIn === 'header') headers['x-station-id'] = request.station;
  const bodyStation = request.station !== undefined && request.stationIn === 'body' ? request.station : undefined;
  const common = { queryStringParameters: Object.keys(query).length > 0 ? query : null, stageVariables: request.stageVariables, pathParameters: request.fields };
  if (request.shape === 'raw') {
    return apiEvent({ ...common, headers: { ...headers, 'content-type': 'image/jpeg' }, body: image.toString('base64'), isBase64Encoded: true });
  }
  if (request.shape === 'multipart') {
    const parts = [
      ...Object.entries(request.fields).filter(([name]) => name !== 'image' && name !== 'station').map(([name, value]) => ({ name, value })),
      ...(bodyStation !== undefined ? [{ name: 'station', value: bodyStation }] : []),
      { name: 'image', value: image, filename: 'wafer.jpg', contentType: 'image/jpeg' },
    ];
    const { body, contentType } = multipartBody(parts);
    return apiEvent({ ...common, headers: { ...headers, 'content-type': contentType }, body: body.toString('base64'), isBase64Encoded: true });
  }
  const json = { ...request.fields, image: image.toString('base64'), ...(bodyStation !== undefined ? { station: bodyStation } : {}) };
  return apiEvent({ ...common, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json), isBase64Encoded: false });
}

describe('toll-fraud guard: who is called comes from configuration only', () => {
  let image: Buffer;
  beforeAll(async () => {
    image = await syntheticWafer('jpeg', 96, 96);
  });

  it('every StartOutboundVoiceContact carries the configured instance, flow, source and destination, whatever the request held', async () => {
    // Prepare
    const client = new ConnectClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const connect = mockClient(client);
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: 'contact-1' });
    const caller = new ConnectOperatorCaller({
      client,
      instanceId: CONFIGURED.InstanceId,
      contactFlowId: CONFIGURED.ContactFlowId,
      sourcePhoneNumber: CONFIGURED.SourcePhoneNumber,
      destinationPhoneNumber: CONFIGURED.DestinationPhoneNumber,
      allowedCountryPrefixes: ['+44'],
    });
    let answered201 = 0;

    // Act
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (request) => {
        const logger = new MemoryLogger();
        const handler = createInspectImageHandler(() => ({
          allowedOrigins: ['https://inspect.fab.example'],
          logger,
          // Every wafer is anomalous and certain, so every accepted request rings.
          detector: async () => new ScriptedDetector(() => verdict(true, 0.99)),
          inspection: { store: new InMemoryInspectionStore(), caller, logger, alertPolicy: { confidenceThreshold: 0.5, reviewThreshold: 0.3 }, limits: { maxBytes: 256 * 1024, minSide: 64, maxSide: 4096 } },
        }));
        const callsBefore = connect.commandCalls(StartOutboundVoiceContactCommand).length;
        const response = await handler(toEvent(request, image), lambdaContext);
        const calls = connect.commandCalls(StartOutboundVoiceContactCommand).slice(callsBefore);

        // Assess
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode === 201) {
          answered201 += 1;
          expect(calls).toHaveLength(1);
        } else {
          expect(calls).toHaveLength(0);
        }
        for (const call of calls) {
          const { Attributes, ClientToken, ...target } = call.args[0].input;
          expect(target).toEqual(CONFIGURED);
          expect(Object.keys(Attributes ?? {}).sort()).toEqual(ATTRIBUTE_NAMES);
          expect(ClientToken).toMatch(/^waferwatch-inspection-/);
        }
      }),
      { numRuns: 150 },
    );

    // Assess
    // The property must have been exercised on calls that were actually placed, not only on refused requests.
    expect(answered201).toBeGreaterThan(50);
    for (const call of connect.commandCalls(StartOutboundVoiceContactCommand)) expect(call.args[0].input.DestinationPhoneNumber).toBe(CONFIGURED.DestinationPhoneNumber);
  });
});
