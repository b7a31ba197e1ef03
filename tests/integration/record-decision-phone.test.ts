import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectOperatorCaller } from '../../functions/adapters/connect-operator-caller';
import { S3InspectionStore } from '../../functions/adapters/s3-inspection-store';
import { createPhoneSimulator, type PhoneSessionView, type PhoneSimulator } from '../../local/phone/phone-simulator';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../helpers/local-aws-stand-ins';
import { anomalousRecord } from '../unit/contact-flow/flow-fixtures';

/**
 * The local phone panel's server side: a call placed on the Connect emulator is answered over HTTP, keys
 * are pressed, the shipped flow invokes the real record-decision entry, and the record in S3 shows it.
 */
describe('local phone simulator', () => {
  let standIns: LocalAwsStandIns;
  let store: S3InspectionStore;
  let caller: ConnectOperatorCaller;
  let phone: PhoneSimulator;
  let server: Server;
  let base: string;
  let getInspection: typeof import('../../functions/get-inspection').handler;

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    for (const [key, value] of Object.entries(standIns.env)) vi.stubEnv(key, value);
    vi.stubEnv('OPERATOR_DEFAULT_DECISION', undefined as unknown as string);
    vi.resetModules();
    ({ handler: getInspection } = await import('../../functions/get-inspection'));
    store = new S3InspectionStore({ client: standIns.clients.s3, bucket: standIns.names.bucket });
    caller = new ConnectOperatorCaller({
      client: standIns.clients.connect,
      instanceId: standIns.names.connectInstanceId,
      contactFlowId: standIns.names.connectContactFlowId,
      sourcePhoneNumber: standIns.names.sourcePhoneNumber,
      destinationPhoneNumber: standIns.names.operatorPhoneNumber,
    });
    phone = createPhoneSimulator({ calls: standIns.connect });
    server = createServer((request, response) => {
      void phone.handle(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    vi.unstubAllEnvs();
    await standIns?.close();
  });

  /** Store an anomalous record and place its call on the Connect emulator, as the inspect pipeline does. */
  async function placedCall(confidencePercent = 91, foldedCount?: number) {
    const record = anomalousRecord({ stationId: 'etch-02' });
    await store.putRecord(record);
    const { contactId } = await caller.startCall({ inspectionId: record.inspectionId, stationId: record.stationId, confidencePercent, ...(foldedCount === undefined ? {} : { foldedCount }) });
    return { record, contactId };
  }

  /** The route's JSON: a session, or an error body. */
  const json = async (response: Response) => (await response.json()) as PhoneSessionView & { error: { code: string; message: string } };

  const pressKey = (contactId: string, body: unknown) =>
    fetch(`${base}/_local/phone/${contactId}/keys`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('answering speaks station and confidence, pressing 1 records keep, and the record shows it', async () => {
    // Prepare
    const { record, contactId } = await placedCall();
    // Act
    const answered = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const reloaded = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const pressed = await pressKey(contactId, { key: '1' });
    // Assess
    expect(answered).toEqual({
      contactId,
      inspectionId: record.inspectionId,
      spoken: [
        'This is waferwatch. Station etch-02 flagged a wafer. An anomaly was detected with 91 percent confidence.',
        'Press 1 to keep manufacturing. Press 2 to scrap the wafer.',
      ],
      awaiting: 'keypress',
      inputs: [],
      decision: null,
    });
    expect(reloaded).toEqual(answered);
    expect(pressed.status).toBe(200);
    const done = await json(pressed);
    expect(done).toMatchObject({ awaiting: 'done', inputs: ['1'], decision: { status: 'recorded', decision: 'keep', key: '1' } });
    expect(done.spoken.at(-1)).toBe('Thank you. Your decision is recorded: keep manufacturing. Goodbye.');
    const shown = await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: record.inspectionId } }), lambdaContext);
    expect(JSON.parse(shown.body).decision).toMatchObject({ decision: 'keep', key: '1', contactId });
    expect(standIns.connect.call(contactId)).toMatchObject({ status: 'completed', decision: { status: 'recorded', decision: 'keep' } });
  });

  it('a call that carries anomalies folded during the cooldown says how many after the confidence, and 1 still records keep', async () => {
    // Prepare
    const { record, contactId } = await placedCall(88, 3);
    // Act
    const answered = await json(await fetch(`${base}/_local/phone/${contactId}`));
    const done = await json(await pressKey(contactId, { key: '1' }));
    // Assess
    expect(answered.spoken).toEqual([
      'This is waferwatch. Station etch-02 flagged a wafer. An anomaly was detected with 88 percent confidence.',
      '3 more anomalous wafers on this station since the last call.',
      'Press 1 to keep manufacturing. Press 2 to scrap the wafer.',
    ]);
    expect(done).toMatchObject({ awaiting: 'done', decision: { status: 'recorded', decision: 'keep', key: '1' } });
    expect((await store.getRecord(record.inspectionId))?.decision).toMatchObject({ decision: 'keep', key: '1', contactId });
  });

  it('a wrong key then 2 scraps; silence twice on another call holds', async () => {
    const first = await placedCall();
    await fetch(`${base}/_local/phone/${first.contactId}`);
    const again = await json(await pressKey(first.contactId, { key: '5' }));
    expect(again).toMatchObject({ awaiting: 'keypress', inputs: ['5'] });
    expect(again.spoken.at(-1)).toMatch(/^Sorry, I did not get that/);
    expect(await json(await pressKey(first.contactId, { key: '2' }))).toMatchObject({ awaiting: 'done', decision: { decision: 'scrap' } });

    const second = await placedCall();
    await fetch(`${base}/_local/phone/${second.contactId}`);
    await pressKey(second.contactId, { key: 'timeout' });
    const held = await json(await pressKey(second.contactId, { key: 'timeout' }));
    expect(held).toMatchObject({ awaiting: 'done', decision: { status: 'recorded', decision: 'hold', key: 'no-input' } });
    expect((await store.getRecord(second.record.inspectionId))?.decision).toMatchObject({ decision: 'hold', key: 'no-input' });
  });

  it('answers clear JSON errors: unknown call, key before answering, bad body, key after hang-up, wrong method', async () => {
    const unknown = await fetch(`${base}/_local/phone/00000000-0000-4000-8000-00000000dead`);
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.code).toBe('CALL_NOT_FOUND');

    const { contactId } = await placedCall();
    expect((await pressKey(contactId, { key: '1' })).status).toBe(404);
    await fetch(`${base}/_local/phone/${contactId}`);
    for (const body of ['not json', { key: 'A' }, { key: 1 }, {}]) {
      const response = await pressKey(contactId, body);
      expect(response.status).toBe(400);
      expect((await json(response)).error.code).toBe('MALFORMED_REQUEST');
    }
    await pressKey(contactId, { key: '2' });
    const late = await pressKey(contactId, { key: '1' });
    expect(late.status).toBe(409);
    expect((await json(late)).error.code).toBe('CALL_ENDED');
    expect((await fetch(`${base}/_local/phone/${contactId}`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${base}/somewhere-else`)).status).toBe(404);
  });
});
