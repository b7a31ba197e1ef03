import { describe, expect, it } from 'vitest';
import type { CallEnded, ContactLink, LadderState } from '../../../functions/core/ports/escalation-store';
import type { InspectionRecord } from '../../../functions/core/inspection';
import { endedOutcome, recordCallOutcome } from '../../../functions/core/record-call-outcome';
import { InMemoryInspectionStore, MemoryLogger, RecordingAlertPublisher } from '../../fixtures/fakes';
import { anomalousRecord } from '../contact-flow/flow-fixtures';

const AT = '2026-11-26T12:00:00.000Z';

function ringingRecord(): InspectionRecord {
  return anomalousRecord({
    alert: {
      status: 'ringing',
      startedAt: AT,
      level: 1,
      loop: 1,
      attempts: [
        { step: 0, level: 1, loop: 1, contactName: 'Operator A', phone: '+1******0101', contactId: 'c-a', startedAt: AT, outcome: 'ringing' },
        { step: 0, level: 1, loop: 1, contactName: 'Operator B', phone: '+1******0102', contactId: 'c-b', startedAt: AT, outcome: 'ringing' },
      ],
    },
  });
}

function ladder(ended: string[]): LadderState {
  return {
    inspectionId: 'x',
    stationId: 'litho-3',
    status: 'ringing',
    step: 0,
    rungStep: 0,
    started: ['0:0', '0:1'],
    startedCalls: {},
    ended,
    dialing: [],
    anyCallStarted: true,
    foldedInspectionIds: [],
  };
}

/** Ladders in memory: two calls of step 0; each DISCONNECTED is counted once. */
function ladders(record: InspectionRecord) {
  const ended = new Set<string>();
  const links: Record<string, ContactLink> = {
    'c-a': {
      contactId: 'c-a',
      inspectionId: record.inspectionId,
      stationId: 'litho-3',
      step: 0,
      callKey: '0:0',
      level: 1,
      loop: 1,
      contactName: 'Operator A',
      phone: '+1******0101',
      startedAt: AT,
    },
    'c-b': {
      contactId: 'c-b',
      inspectionId: record.inspectionId,
      stationId: 'litho-3',
      step: 0,
      callKey: '0:1',
      level: 1,
      loop: 1,
      contactName: 'Operator B',
      phone: '+1******0102',
      startedAt: AT,
    },
  };
  return {
    findContact: async (contactId: string) => links[contactId],
    recordCallEnded: async (contactId: string): Promise<CallEnded> => {
      const key = links[contactId]!.callKey;
      if (ended.has(key)) return { firstReport: false };
      ended.add(key);
      return { firstReport: true, ladder: ladder([...ended]) };
    },
  };
}

describe('recordCallOutcome', () => {
  it('marks an answered call, then what it ended as; escalates at once only when every call of the step ended, once', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const record = ringingRecord();
    await store.putRecord(record);
    const queue = new RecordingAlertPublisher();
    const deps = { store, ladders: ladders(record), queue, logger: new MemoryLogger() };
    // Act
    const answered = await recordCallOutcome(deps, { eventType: 'CONNECTED_TO_SYSTEM', contactId: 'c-a', connectedAt: AT });
    const hungUp = await recordCallOutcome(deps, {
      eventType: 'DISCONNECTED',
      contactId: 'c-a',
      connectedAt: AT,
      disconnectedAt: AT,
      disconnectReason: 'CUSTOMER_DISCONNECT',
    });
    const timersAfterOne = queue.timers.length;
    const busy = await recordCallOutcome(deps, { eventType: 'DISCONNECTED', contactId: 'c-b', disconnectedAt: AT, disconnectReason: 'TELECOM_BUSY' });
    const again = await recordCallOutcome(deps, { eventType: 'DISCONNECTED', contactId: 'c-b', disconnectedAt: AT, disconnectReason: 'TELECOM_BUSY' });
    const late = await recordCallOutcome(deps, { eventType: 'CONNECTED_TO_SYSTEM', contactId: 'c-b', connectedAt: AT });
    // Assess
    expect(answered).toEqual({ result: 'answered', inspectionId: record.inspectionId });
    expect(hungUp).toMatchObject({ result: 'ended', outcome: 'ended-without-key', escalated: false });
    expect(timersAfterOne).toBe(0);
    expect(busy).toMatchObject({ result: 'ended', outcome: 'busy', escalated: true });
    expect(again).toEqual({ result: 'ignored', reason: 'already-reported' });
    expect(late).toEqual({ result: 'answered', inspectionId: record.inspectionId });
    expect(queue.timers).toEqual([
      {
        message: { kind: 'escalate', inspectionId: record.inspectionId, stationId: 'litho-3', fromStep: 0, reason: 'calls-ended', queuedAt: AT },
        delaySeconds: 0,
      },
    ]);
    const attempts = (store.records.get(record.inspectionId)!.alert as { attempts: Array<{ outcome: string; reason?: string }> }).attempts;
    expect(attempts.map((attempt) => [attempt.outcome, attempt.reason])).toEqual([
      ['ended-without-key', 'CUSTOMER_DISCONNECT'],
      ['busy', 'TELECOM_BUSY'],
    ]);
  });

  it('ignores other event types and contacts that are not calls of a ladder', async () => {
    const store = new InMemoryInspectionStore();
    const deps = {
      store,
      ladders: { findContact: async () => undefined, recordCallEnded: async (): Promise<CallEnded> => ({ firstReport: false }) },
      queue: new RecordingAlertPublisher(),
      logger: new MemoryLogger(),
    };
    expect(await recordCallOutcome(deps, { eventType: 'INITIATED', contactId: 'c-x' })).toEqual({ result: 'ignored', reason: 'not-a-call-outcome' });
    expect(await recordCallOutcome(deps, { eventType: 'DISCONNECTED', contactId: 'c-x' })).toEqual({ result: 'ignored', reason: 'not-our-call' });
  });
});

describe('endedOutcome', () => {
  it.each([
    [{}, 'no-answer'],
    [{ disconnectReason: 'TELECOM_TIMEOUT' }, 'no-answer'],
    [{ disconnectReason: 'TELECOM_BUSY' }, 'busy'],
    [{ connectedAt: AT, disconnectReason: 'CUSTOMER_DISCONNECT' }, 'ended-without-key'],
    [{ connectedAt: AT, answeringMachineStatus: 'VOICEMAIL_BEEP' }, 'voicemail'],
    [{ connectedAt: AT, answeringMachineStatus: 'HUMAN_ANSWERED' }, 'ended-without-key'],
    [{ answeringMachineStatus: 'AMD_UNANSWERED' }, 'no-answer'],
  ] as const)('reads %j as %s', (event, outcome) => {
    expect(endedOutcome(event)).toBe(outcome);
  });
});
