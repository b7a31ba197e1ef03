import { describe, expect, it } from 'vitest';
import { InspectionNotFoundError, MalformedRequestError, StorageUnavailableError } from '../../../functions/core/errors';
import { DECISION_KINDS, DECISION_SPOKEN, isDecisionKind, recordOperatorDecision } from '../../../functions/core/record-operator-decision';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';
import { anomalousRecord } from '../contact-flow/flow-fixtures';

const NOW = new Date('2026-11-26T13:00:00.000Z');

describe('recordOperatorDecision', () => {
  it('maps 1 to keep, 2 to scrap and no-input to the safe default, stamping contact and time', async () => {
    for (const [key, expected] of [['1', 'keep'], ['2', 'scrap'], ['no-input', 'scrap']] as const) {
      // Prepare
      const store = new InMemoryInspectionStore();
      const record = anomalousRecord();
      await store.putRecord(record);
      // Act
      const result = await recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'contact-1', key }, { store, defaultDecision: 'scrap', logger: new MemoryLogger(), now: () => NOW });
      // Assess
      expect(result).toEqual({ outcome: 'recorded', decision: { decision: expected, key, contactId: 'contact-1', decidedAt: NOW.toISOString() } });
      expect(await store.getRecord(record.inspectionId)).toEqual({ ...record, decision: result.decision, updatedAt: NOW.toISOString() });
    }
  });

  it('throws typed errors: malformed report, unknown inspection, unreadable and unwritable store', async () => {
    const logger = new MemoryLogger();
    const store = new InMemoryInspectionStore();
    const record = anomalousRecord();
    const dependencies = { store, defaultDecision: 'hold' as const, logger };
    await expect(recordOperatorDecision({ inspectionId: 42, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(MalformedRequestError);
    await expect(recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(InspectionNotFoundError);

    const unreadable = new InMemoryInspectionStore();
    unreadable.getRecord = async () => {
      throw new Error('socket hang up');
    };
    await expect(recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, { ...dependencies, store: unreadable })).rejects.toThrow(StorageUnavailableError);

    await store.putRecord(record);
    store.failRecordPuts = 1;
    await expect(recordOperatorDecision({ inspectionId: record.inspectionId, contactId: 'c', key: '1' }, dependencies)).rejects.toThrow(StorageUnavailableError);
    expect(logger.lines.filter((line) => line.level === 'error').map((line) => line.extra.inspectionId)).toEqual([record.inspectionId, record.inspectionId]);
  });

  it('names every decision in words and recognises only keep, scrap and hold', () => {
    expect(DECISION_KINDS.map((kind) => DECISION_SPOKEN[kind])).toEqual(['keep manufacturing', 'scrap the wafer', 'hold the wafer for review']);
    expect(['keep', 'scrap', 'hold', 'Hold', '', undefined].map(isDecisionKind)).toEqual([true, true, true, false, false, false]);
  });
});
