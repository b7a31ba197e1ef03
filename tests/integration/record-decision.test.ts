import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { S3InspectionStore } from '../../functions/adapters/s3/s3-inspection-store';
import { runContact } from '../../local/contact-flow-interpreter/contact-session';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { startLocalAwsStandIns, type LocalAwsStandIns } from '../helpers/local-aws-stand-ins';
import { alertAttributes, anomalousRecord, shippedFlow } from '../unit/contact-flow/flow-fixtures';

/**
 * The deployed entry modules over the wire: the shipped flow runs through the interpreter and invokes the
 * real record-decision handler (functions/handlers/record-decision.ts), which writes to S3 (s3rver); the real
 * get-inspection handler then reads the decision back.
 */
describe('record-decision over S3', () => {
  let standIns: LocalAwsStandIns;
  let store: S3InspectionStore;
  let recordDecision: typeof import('../../functions/handlers/record-decision').handler;
  let getInspection: typeof import('../../functions/handlers/get-inspection').handler;

  beforeAll(async () => {
    standIns = await startLocalAwsStandIns();
    for (const [key, value] of Object.entries(standIns.env)) vi.stubEnv(key, value);
    // No alert state table: a decision on a call placed before ladders existed is still recorded.
    vi.stubEnv('ALERT_STATE_TABLE', undefined);
    vi.resetModules();
    ({ handler: recordDecision } = await import('../../functions/handlers/record-decision'));
    vi.stubEnv('ALERT_STATE_TABLE', standIns.env.ALERT_STATE_TABLE);
    ({ handler: getInspection } = await import('../../functions/handlers/get-inspection'));
    store = new S3InspectionStore({ client: standIns.clients.s3, bucket: standIns.names.bucket });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await standIns?.close();
  });

  async function decisionShownBy(inspectionId: string) {
    const response = await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: inspectionId } }), lambdaContext);
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).decision;
  }

  it('pressing 2 on the call records scrap, and GET /inspections/{id} shows it', async () => {
    // Prepare
    const record = anomalousRecord();
    await store.putRecord(record);
    // Act
    const session = await runContact(shippedFlow(), {
      contactId: 'a1b2c3d4-0000-4000-8000-000000000001',
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => recordDecision(event),
      inputs: ['2'],
    });
    // Assess
    expect(session.spoken.at(-1)).toBe('Thank you. Your decision is recorded: scrap the wafer. Goodbye.');
    expect(await decisionShownBy(record.inspectionId)).toMatchObject({ decision: 'scrap', key: '2', contactId: 'a1b2c3d4-0000-4000-8000-000000000001' });
  });

  it('silence twice records nothing; a later call decides, and a third contact changes nothing', async () => {
    const record = anomalousRecord();
    await store.putRecord(record);
    await runContact(shippedFlow(), {
      contactId: 'contact-silent',
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => recordDecision(event),
      inputs: ['timeout', 'timeout'],
    });
    expect(await decisionShownBy(record.inspectionId)).toBeUndefined();

    await runContact(shippedFlow(), {
      contactId: 'contact-later',
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => recordDecision(event),
      inputs: ['1'],
    });
    const standing = await decisionShownBy(record.inspectionId);
    expect(standing).toMatchObject({ decision: 'keep', key: '1', contactId: 'contact-later' });
    const third = await runContact(shippedFlow(), {
      contactId: 'contact-third',
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => recordDecision(event),
      inputs: ['2'],
    });
    expect(third.lambdaInvocations[0]?.response).toMatchObject({ status: 'conflict', decision: 'keep' });
    expect(await decisionShownBy(record.inspectionId)).toEqual(standing);
  });

  it('a call for an inspection S3 does not hold: INSPECTION_NOT_FOUND, and the caller hears it was not recorded and the dashboard pointer', async () => {
    const record = anomalousRecord();
    const session = await runContact(shippedFlow(), {
      contactId: 'contact-unknown',
      attributes: alertAttributes(record),
      invokeLambda: (_, event) => recordDecision(event),
      inputs: ['1'],
    });
    expect(session.lambdaInvocations[0]?.response).toMatchObject({ status: 'error', code: 'INSPECTION_NOT_FOUND' });
    expect(session.spoken.at(-1)).toBe(
      'Sorry, your answer could not be recorded, so the alert stays open and you may be called again. Please check the inspection on the dashboard. Goodbye.',
    );
  });
});

describe('record-decision cold start', () => {
  afterAll(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails by name on a missing bucket, and needs no Connect settings', async () => {
    vi.stubEnv('IMAGE_BUCKET', undefined);
    vi.resetModules();
    await expect(import('../../functions/handlers/record-decision')).rejects.toThrow(/IMAGE_BUCKET environment variable is not set/);

    vi.stubEnv('IMAGE_BUCKET', 'waferwatch-images');
    for (const name of ['CONNECT_INSTANCE_ID', 'CONNECT_CONTACT_FLOW_ID', 'CONNECT_SOURCE_PHONE_NUMBER', 'OPERATOR_PHONE_NUMBER']) vi.stubEnv(name, undefined);
    vi.resetModules();
    await expect(import('../../functions/handlers/record-decision')).resolves.toHaveProperty('handler');
  });
});
