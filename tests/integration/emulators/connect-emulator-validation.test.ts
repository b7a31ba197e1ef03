import {
  InvalidParameterException,
  ResourceNotFoundException,
  StartOutboundVoiceContactCommand,
  type ConnectClient,
  type StartOutboundVoiceContactCommandInput,
} from '@aws-sdk/client-connect';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectClient } from '../../../functions/adapters/aws-clients';
import { checkAttributes, ConnectEmulator } from '../../../local/emulators/connect-emulator';
import { LOCAL_CONNECT_CONTACT_FLOW_ID, LOCAL_CONNECT_INSTANCE_ID, startLocalServices, type LocalServices } from '../../../local/local-services';

// StartOutboundVoiceContact as the Amazon Connect API reference (and the service model the SDKs are generated from)
// documents it: an instance or flow the account does not have is ResourceNotFoundException; Attributes hold "up to
// 32,768 UTF-8 bytes across all key-value pairs per contact" and "Attribute keys can include only alphanumeric, dash,
// and underscore characters"; ClientToken at most 500 characters; phone numbers match \+[1-9]\d{1,14}$;
// RingTimeoutInSeconds 15–60. Checked with the real SDK client from the factory the operator caller uses.
const INSTANCE_ID = '11111111-2222-4333-8444-555555555555';
const FLOW_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const emulator = new ConnectEmulator({ instanceId: INSTANCE_ID, contactFlowId: FLOW_ID, ringTimeoutMs: 0 });
let client: ConnectClient;

const valid: StartOutboundVoiceContactCommandInput = {
  InstanceId: INSTANCE_ID,
  ContactFlowId: FLOW_ID,
  DestinationPhoneNumber: '+14155550199',
  SourcePhoneNumber: '+14155550100',
};

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

const start = (input: Partial<StartOutboundVoiceContactCommandInput>) => client.send(new StartOutboundVoiceContactCommand({ ...valid, ...input }));

beforeAll(async () => {
  await emulator.start();
  client = createConnectClient({ region: 'us-east-1', endpoint: emulator.endpoint });
});

afterAll(async () => {
  client?.destroy();
  await emulator.close();
});

describe('Connect emulator: StartOutboundVoiceContact validation', () => {
  it('answers ResourceNotFoundException (404) for an instance or a contact flow it does not have, and places no call', async () => {
    // Prepare
    const callsBefore = emulator.calls().length;

    // Act
    const otherInstance = await caught(start({ InstanceId: '99999999-0000-4000-8000-000000000000' }));
    const otherFlow = await caught(start({ ContactFlowId: '99999999-0000-4000-8000-0000000f1ca0' }));
    const placed = await start({});

    // Assess
    expect(otherInstance).toBeInstanceOf(ResourceNotFoundException);
    expect((otherInstance as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect(otherFlow).toBeInstanceOf(ResourceNotFoundException);
    expect(placed.ContactId).toEqual(expect.any(String));
    expect(emulator.calls()).toHaveLength(callsBefore + 1);
  });

  it('takes attributes up to 32,768 UTF-8 bytes in all and keys of letters, digits, - and _; refuses more, and other keys', async () => {
    // Prepare: 32,768 bytes exactly, the value multi-byte so bytes and characters differ.
    const key = 'note_1-a';
    const atLimit = { [key]: 'é'.repeat((32_768 - key.length) / 2) };
    const overLimit = { [key]: `${atLimit[key]}x` };
    const splitOverLimit = { a: 'x'.repeat(16_383), b: 'y'.repeat(16_384) };

    // Act
    const accepted = await caught(start({ Attributes: atLimit, ClientToken: 'attributes-at-limit' }));
    const refused = await Promise.all([
      caught(start({ Attributes: overLimit })),
      caught(start({ Attributes: splitOverLimit })),
      caught(start({ Attributes: { 'station id': 'litho-3' } })),
      caught(start({ Attributes: { 'station.id': 'litho-3' } })),
      caught(start({ Attributes: { '': 'empty key' } })),
    ]);

    // Assess
    expect(accepted).toBeUndefined();
    for (const answer of refused) expect(answer).toBeInstanceOf(InvalidParameterException);
    expect(emulator.calls().filter((call) => call.clientToken === 'attributes-at-limit')).toHaveLength(1);
  });

  it('takes a ClientToken of up to 500 characters, E.164 numbers as the documented pattern has them, and RingTimeoutInSeconds 15–60', async () => {
    // Act
    const token500 = await caught(start({ ClientToken: 't'.repeat(500) }));
    const token501 = await caught(start({ ClientToken: 't'.repeat(501) }));
    const shortNumber = await caught(start({ DestinationPhoneNumber: '+4912', ClientToken: 'short-number' }));
    const leadingZero = await caught(start({ DestinationPhoneNumber: '+0412345678' }));
    const sixteenDigits = await caught(start({ DestinationPhoneNumber: '+1234567890123456' }));
    const ring15 = await caught(start({ RingTimeoutInSeconds: 15, ClientToken: 'ring-15' }));
    const ring14 = await caught(start({ RingTimeoutInSeconds: 14 }));
    const ring61 = await caught(start({ RingTimeoutInSeconds: 61 }));
    const longInstance = await caught(start({ InstanceId: 'i'.repeat(101) }));

    // Assess
    expect([token500, shortNumber, ring15]).toEqual([undefined, undefined, undefined]);
    for (const answer of [token501, leadingZero, sixteenDigits, ring14, ring61, longInstance]) expect(answer).toBeInstanceOf(InvalidParameterException);
  });

  it('checkAttributes says what is wrong, or nothing', () => {
    // Act + Assess
    expect(checkAttributes({ inspectionId: '01JD0000000000000000000000', escalationLevel: '2' })).toBeUndefined();
    expect(checkAttributes({ confidencePercent: 93 })).toBe('Attributes must be a map of strings');
    expect(checkAttributes(['a'])).toBe('Attributes must be a map of strings');
    expect(checkAttributes({ 'a b': 'x' })).toMatch(/only alphanumeric, dash, and underscore/);
    expect(checkAttributes({ a: 'x'.repeat(32_767), b: 'y' })).toMatch(/up to 32768/);
  });
});

describe('Connect emulator of the local stack (startLocalServices)', () => {
  let services: LocalServices;
  let dataDir: string;
  let localClient: ConnectClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-local-connect-'));
    services = await startLocalServices({ dataDir, withLookoutVision: false, ringTimeoutMs: 0 });
    localClient = createConnectClient({ region: 'us-east-1', endpoint: services.connectEndpoint });
  });

  afterAll(async () => {
    localClient?.destroy();
    await services?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("knows only the stack's instance and contact flow (CONNECT_INSTANCE_ID, CONNECT_CONTACT_FLOW_ID): other ids get ResourceNotFoundException", async () => {
    // Prepare
    const call = { DestinationPhoneNumber: '+15555550100', SourcePhoneNumber: '+15555550199' };

    // Act
    const own = await localClient.send(
      new StartOutboundVoiceContactCommand({ ...call, InstanceId: LOCAL_CONNECT_INSTANCE_ID, ContactFlowId: LOCAL_CONNECT_CONTACT_FLOW_ID }),
    );
    const otherInstance = await caught(
      localClient.send(
        new StartOutboundVoiceContactCommand({ ...call, InstanceId: '99999999-0000-4000-8000-000000000000', ContactFlowId: LOCAL_CONNECT_CONTACT_FLOW_ID }),
      ),
    );
    const otherFlow = await caught(
      localClient.send(new StartOutboundVoiceContactCommand({ ...call, InstanceId: LOCAL_CONNECT_INSTANCE_ID, ContactFlowId: 'some-other-flow' })),
    );

    // Assess
    expect([services.connectInstanceId, services.connectContactFlowId]).toEqual([LOCAL_CONNECT_INSTANCE_ID, LOCAL_CONNECT_CONTACT_FLOW_ID]);
    expect(services.calls().map((placed) => placed.contactId)).toEqual([own.ContactId]);
    expect(otherInstance).toBeInstanceOf(ResourceNotFoundException);
    expect(otherFlow).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('Connect emulator with boto3 (the other SDK people point at it)', () => {
  it("answers boto3's StartOutboundVoiceContact: a ContactId, ResourceNotFoundException for another instance, InvalidParameterException for a bad attribute key", async () => {
    // Prepare
    const script = [
      'import json, sys, boto3',
      'endpoint, instance, flow = sys.argv[1:4]',
      "connect = boto3.client('connect', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')",
      "call = dict(ContactFlowId=flow, DestinationPhoneNumber='+14155550199', SourcePhoneNumber='+14155550100')",
      'def code(**kwargs):',
      '    try:',
      '        connect.start_outbound_voice_contact(**call, **kwargs)',
      "        return 'placed'",
      '    except connect.exceptions.ClientError as error:',
      "        return error.response['Error']['Code']",
      "placed = connect.start_outbound_voice_contact(InstanceId=instance, Attributes={'stationId': 'litho-3'}, ClientToken='boto3-call', **call)",
      "print(json.dumps({'contactId': placed['ContactId'], 'otherInstance': code(InstanceId='99999999-0000-4000-8000-000000000000'),",
      "  'badKey': code(InstanceId=instance, Attributes={'station id': 'litho-3'})}))",
    ].join('\n');

    // Act: the machine's python3 (pyenv, boto3 from pip) or Debian's (python3-boto3, which .ci/run installs if needed)
    const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import boto3']).status === 0) ?? 'python3';
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        python,
        ['-c', script, emulator.endpoint, INSTANCE_ID, FLOW_ID],
        { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
        (error, stdout, stderr) => (error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout)),
      ),
    );
    const answer = JSON.parse(output) as { contactId: string; otherInstance: string; badKey: string };

    // Assess
    expect(answer).toEqual({ contactId: expect.any(String), otherInstance: 'ResourceNotFoundException', badKey: 'InvalidParameterException' });
    expect(emulator.call(answer.contactId)).toMatchObject({ clientToken: 'boto3-call', attributes: { stationId: 'litho-3' } });
  });
});
