import type { ConnectContactFlowEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createRecordDecisionHandler, type RecordDecisionHandlerDependencies } from '../../../../functions/adapters/connect/record-decision-handler';
import { createGetInspectionHandler } from '../../../../functions/adapters/http/get-inspection-route';
import { apiEvent, lambdaContext } from '../../../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger } from '../../../fixtures/fakes';
import { anomalousRecord } from '../../contact-flow/flow-fixtures';

const CONTACT_A = '5f0c1a9e-0b6a-4c1e-9d7e-2f3a4b5c6d7e';
const CONTACT_B = '0d9a2b7c-1111-4222-8333-944455556666';

/** A Connect ContactFlowEvent as the flow's InvokeLambdaFunction sends it. */
function connectEvent(attributes: Record<string, string>, parameters: Record<string, string>, contactId = CONTACT_A): ConnectContactFlowEvent {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Attributes: attributes,
        Channel: 'VOICE',
        ContactId: contactId,
        CustomerEndpoint: null,
        InitialContactId: contactId,
        InitiationMethod: 'OUTBOUND',
        InstanceARN: 'arn:aws:connect:eu-west-1:123456789012:instance/11111111-2222-3333-4444-555555555555',
        PreviousContactId: contactId,
        Queue: null,
        SystemEndpoint: null,
        MediaStreams: { Customer: { Audio: null } },
      },
      Parameters: parameters,
    },
  };
}

/** Counts record writes so idempotency is asserted on what reached the store. */
class CountingStore extends InMemoryInspectionStore {
  recordWrites = 0;
  override async putRecord(...args: Parameters<InMemoryInspectionStore['putRecord']>) {
    this.recordWrites += 1;
    return super.putRecord(...args);
  }
  override async updateRecord(...[inspectionId, change]: Parameters<InMemoryInspectionStore['updateRecord']>) {
    return super.updateRecord(inspectionId, (current) => {
      const next = change(current);
      if (next !== undefined) this.recordWrites += 1;
      return next;
    });
  }
}

function setUp(overrides: Partial<RecordDecisionHandlerDependencies> = {}) {
  const store = new CountingStore();
  const logger = new MemoryLogger();
  let clock = Date.parse('2026-11-26T12:00:00.000Z');
  const dependencies: RecordDecisionHandlerDependencies = {
    store,
    logger,
    now: () => new Date((clock += 1000)),
    ...overrides,
  };
  return { store, logger, handler: createRecordDecisionHandler(() => dependencies) };
}

function expectFlatStringMap(answer: object) {
  for (const value of Object.values(answer)) expect(typeof value).toBe('string');
}

describe('record-decision handler', () => {
  it('records key 2 as scrap with contact id and time, answering a flat string map', async () => {
    // Prepare
    const { store, handler } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    store.recordWrites = 0;
    // Act
    const answer = await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '2' }));
    // Assess
    expect(answer).toEqual({ status: 'recorded', decision: 'scrap', decisionSpoken: 'scrap the wafer', key: '2' });
    expectFlatStringMap(answer);
    const stored = await store.getRecord(record.inspectionId);
    expect(stored?.decision).toEqual({ decision: 'scrap', key: '2', contactId: CONTACT_A, decidedAt: '2026-11-26T12:00:01.000Z' });
    expect(stored?.updatedAt).toBe('2026-11-26T12:00:01.000Z');
    expect(stored?.detection).toEqual(record.detection);
    expect(store.recordWrites).toBe(1);
  });

  it('refuses no-input: silence is never recorded as a decision', async () => {
    const { store, handler } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    const answer = await handler(connectEvent({ inspectionId: record.inspectionId }, { key: 'no-input' }));
    expect(answer).toMatchObject({ status: 'error', code: 'MALFORMED_REQUEST' });
    expect((await store.getRecord(record.inspectionId))?.decision).toBeUndefined();
  });

  it('is idempotent: the same contact twice writes once and answers the stored decision', async () => {
    const { store, handler } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    store.recordWrites = 0;
    const first = await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '1' }));
    const decidedFirst = (await store.getRecord(record.inspectionId))?.decision;
    // Act: Connect retries the same invocation, this time (say) after a different key reached the flow.
    const second = await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '2' }));
    // Assess
    expect(first).toMatchObject({ status: 'recorded', decision: 'keep' });
    expect(second).toEqual({ status: 'already-recorded', decision: 'keep', decisionSpoken: 'keep manufacturing', key: '1' });
    expect(store.recordWrites).toBe(1);
    expect((await store.getRecord(record.inspectionId))?.decision).toEqual(decidedFirst);
  });

  it('a different contact does not overwrite an existing decision', async () => {
    const { store, handler, logger } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '2' }, CONTACT_A));
    const standing = (await store.getRecord(record.inspectionId))?.decision;
    store.recordWrites = 0;
    const answer = await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '1' }, CONTACT_B));
    expect(answer).toEqual({ status: 'conflict', decision: 'scrap', decisionSpoken: 'scrap the wafer', key: '2' });
    expect(store.recordWrites).toBe(0);
    expect((await store.getRecord(record.inspectionId))?.decision).toEqual(standing);
    expect(logger.lines.some((line) => line.level === 'warn' && line.extra.standingContactId === CONTACT_A)).toBe(true);
  });

  it.each([
    ['no inspectionId attribute', {}, { key: '1' }, 'MALFORMED_REQUEST'],
    ['an inspectionId that is not a ULID', { inspectionId: '../../etc/passwd' }, { key: '1' }, 'MALFORMED_REQUEST'],
    ['no key', { inspectionId: '01JDX0000000000000000000AA' }, {}, 'MALFORMED_REQUEST'],
    ['a key that is not 1 or 2', { inspectionId: '01JDX0000000000000000000AA' }, { key: '3' }, 'MALFORMED_REQUEST'],
    ['an inspection that does not exist', { inspectionId: '01JDX0000000000000000000AA' }, { key: '1' }, 'INSPECTION_NOT_FOUND'],
  ])('answers a clear error for %s, writing nothing', async (_, attributes, parameters, code) => {
    const { store, handler } = setUp();
    const answer = await handler(connectEvent(attributes, parameters));
    expect(answer).toMatchObject({ status: 'error', code });
    expect((answer as { message: string }).message.length).toBeGreaterThan(0);
    expectFlatStringMap(answer);
    expect(store.recordWrites).toBe(0);
  });

  it('answers an error for a malformed contact id and for an event that is not a Connect event at all', async () => {
    const { handler } = setUp();
    const record = anomalousRecord();
    expect(await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '1' }, 'contact id with spaces'))).toMatchObject({
      status: 'error',
      code: 'MALFORMED_REQUEST',
    });
    for (const junk of [null, {}, { Details: 'x' }, { Details: { ContactData: null } }]) {
      const answer = await handler(junk as unknown as ConnectContactFlowEvent);
      expect(answer).toMatchObject({ status: 'error', code: 'MALFORMED_REQUEST' });
    }
  });

  it('answers STORAGE_UNAVAILABLE when the record cannot be written, and INTERNAL_ERROR for the unexpected', async () => {
    const { store, handler } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    store.failRecordPuts = 1;
    expect(await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '1' }))).toMatchObject({ status: 'error', code: 'STORAGE_UNAVAILABLE' });
    expect((await store.getRecord(record.inspectionId))?.decision).toBeUndefined();

    const broken = createRecordDecisionHandler(() => {
      throw new Error('container wiring failed');
    });
    expect(await broken(connectEvent({ inspectionId: record.inspectionId }, { key: '1' }))).toEqual({
      status: 'error',
      code: 'INTERNAL_ERROR',
      message: 'The decision could not be recorded.',
    });
  });

  it('GET /inspections/{id} shows the recorded decision', async () => {
    // Prepare
    const { store, handler } = setUp();
    const record = anomalousRecord();
    await store.putRecord(record);
    await handler(connectEvent({ inspectionId: record.inspectionId }, { key: '2' }));
    const getInspection = createGetInspectionHandler(() => ({ store, logger: new MemoryLogger(), allowedOrigins: [] }));
    // Act
    const response = await getInspection(apiEvent({ httpMethod: 'GET', pathParameters: { id: record.inspectionId } }), lambdaContext);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).decision).toEqual({ decision: 'scrap', key: '2', contactId: CONTACT_A, decidedAt: '2026-11-26T12:00:01.000Z' });
  });
});
