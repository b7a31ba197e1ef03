import { describe, expect, it } from 'vitest';
import { InspectionNotFoundError, MalformedRequestError, StorageUnavailableError } from '../../../functions/core/errors';
import { DECISION_KINDS, DECISION_SPOKEN, isDecisionKind, recordOperatorDecision } from '../../../functions/core/record-operator-decision';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';
import { anomalousRecord } from '../contact-flow/flow-fixtures';

const NOW = new Date('2026-11-26T13:00:00.000Z');

describe('recordOperatorDecision', () => {
  it('maps 1 to keep and 2 to scrap, stamping contact and time', async () => {
    for (const [key, expected] of [
      ['1', 'keep'],
      ['2', 'scrap'],
    ] as const) {
      // Prepare
      const store = new InMemoryInspectionStore();
      const record = anomalousRecord();
      await store.putRecord(record);
      // Act
      const result = await recordOperatorDecision(
        { inspectionId: record.inspectionId, contactId: 'contact-1', key },
        { store, logger: new MemoryLogger(), now: () => NOW },
      );
      // Assess
      expect(result).toEqual({ outcome: 'recorded', decision: { decision: expected, key, contactId: 'contact-1', decidedAt: NOW.toISOString() } });
      expect(await store.getRecord(record.inspectionId)).toEqual({ ...record, decision: result.decision, updatedAt: NOW.toISOString() });
    }
  });

  it('refuses silence as a decision: no-input is not a key', async () => {
    const store = new InMemoryInspectionStore();
    const record = anomalousRecord();
    await store.putRecord(record);
    await expect(
      recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: 'no-input' }, { store, logger: new MemoryLogger() }),
    ).rejects.toThrow(MalformedRequestError);
    expect((await store.getRecord(record.inspectionId))?.decision).toBeUndefined();
  });

  it("acknowledges the ladder of the call's inspection: who, key and level on the alert, the attempt marked, folded anomalies acknowledged too", async () => {
    // Prepare: a ringing alert with one attempt, two anomalies folded into it
    const store = new InMemoryInspectionStore();
    const record = anomalousRecord({
      alert: {
        status: 'ringing',
        startedAt: NOW.toISOString(),
        level: 2,
        loop: 1,
        attempts: [
          {
            step: 0,
            level: 1,
            loop: 1,
            contactName: 'Line operator',
            phone: '+1******0100',
            contactId: 'c-0',
            startedAt: NOW.toISOString(),
            outcome: 'no-answer',
          },
          { step: 1, level: 2, loop: 1, contactName: 'Shift lead', phone: '+1******0101', contactId: 'c-1', startedAt: NOW.toISOString(), outcome: 'answered' },
        ],
      },
    });
    const folded = [
      anomalousRecord({ alert: { status: 'folded', intoInspectionId: 'x', foldedAt: NOW.toISOString() } }),
      anomalousRecord({ alert: { status: 'folded', intoInspectionId: 'x', foldedAt: NOW.toISOString() } }),
    ];
    for (const each of [record, ...folded]) await store.putRecord(each);
    const link = {
      contactId: 'c-1',
      inspectionId: record.inspectionId,
      stationId: 'litho-07',
      step: 1,
      callKey: '1:0',
      level: 2,
      loop: 1,
      contactName: 'Shift lead',
      phone: '+1******0101',
      startedAt: NOW.toISOString(),
    };
    const acknowledged: string[] = [];
    const ladders = {
      findContact: async (contactId: string) => (contactId === 'c-1' ? link : undefined),
      acknowledge: async (inspectionId: string, contactId: string) => {
        acknowledged.push(`${inspectionId}/${contactId}`);
        return {
          acknowledged: true as const,
          ladder: {
            inspectionId,
            stationId: 'litho-07',
            status: 'acknowledged' as const,
            step: 1,
            rungStep: 1,
            started: ['0:0', '1:0'],
            startedCalls: { '0:0': 'c-0', '1:0': 'c-1' },
            ended: ['0:0'],
            anyCallStarted: true,
            dialing: [],
            foldedInspectionIds: folded.map((each) => each.inspectionId),
          },
        };
      },
    };
    // Act
    const result = await recordOperatorDecision(
      { inspectionId: record.inspectionId, contactId: 'c-1', key: '2' },
      { store, ladders, logger: new MemoryLogger(), now: () => NOW },
    );
    // Assess
    expect(result.outcome).toBe('recorded');
    expect(acknowledged).toEqual([`${record.inspectionId}/c-1`]);
    const by = { contactName: 'Shift lead', contactId: 'c-1', key: '2', decision: 'scrap', at: NOW.toISOString(), level: 2, loop: 1 };
    const stored = await store.getRecord(record.inspectionId);
    expect(stored?.alert).toMatchObject({ status: 'acknowledged', acknowledgedAt: NOW.toISOString(), acknowledgedBy: by });
    expect((stored?.alert as { attempts: Array<{ outcome: string }> }).attempts.map((attempt) => attempt.outcome)).toEqual(['no-answer', 'acknowledged']);
    for (const each of folded)
      expect((await store.getRecord(each.inspectionId))?.alert).toMatchObject({
        status: 'acknowledged',
        acknowledgedBy: by,
        viaInspectionId: record.inspectionId,
      });
  });

  it('answers conflict when another contact acknowledged the ladder first, and writes nothing', async () => {
    const store = new InMemoryInspectionStore();
    const record = anomalousRecord({ decision: { decision: 'keep', key: '1', contactId: 'c-first', decidedAt: NOW.toISOString() } });
    await store.putRecord(record);
    const result = await recordOperatorDecision(
      { inspectionId: record.inspectionId, contactId: 'c-second', key: '2' },
      {
        store,
        ladders: { findContact: async () => undefined, acknowledge: async () => ({ acknowledged: false, byContactId: 'c-first' }) },
        logger: new MemoryLogger(),
      },
    );
    expect(result).toMatchObject({ outcome: 'conflict', decision: { decision: 'keep', contactId: 'c-first' } });
  });

  it('throws typed errors: malformed report, unknown inspection, unreadable and unwritable store', async () => {
    const logger = new MemoryLogger();
    const store = new InMemoryInspectionStore();
    const record = anomalousRecord();
    const dependencies = { store, logger };
    await expect(recordOperatorDecision({ inspectionId: 42, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(MalformedRequestError);
    await expect(recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(
      InspectionNotFoundError,
    );

    const unreadable = new InMemoryInspectionStore();
    unreadable.getRecord = async () => {
      throw new Error('socket hang up');
    };
    await expect(
      recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, { ...dependencies, store: unreadable }),
    ).rejects.toThrow(StorageUnavailableError);

    await store.putRecord(record);
    store.failRecordPuts = 1;
    await expect(recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(
      StorageUnavailableError,
    );
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.extra.inspectionId)).toEqual([record.inspectionId, record.inspectionId]);
  });

  it('names every decision in words and recognises only keep, scrap and hold', () => {
    expect(DECISION_KINDS.map((kind) => DECISION_SPOKEN[kind])).toEqual(['keep manufacturing', 'scrap the wafer', 'hold the wafer for review']);
    expect(['keep', 'scrap', 'hold', 'Hold', '', undefined].map(isDecisionKind)).toEqual([true, true, true, false, false, false]);
  });
});
