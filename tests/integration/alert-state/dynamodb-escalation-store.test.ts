import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbEscalationStore } from '../../../functions/adapters/dynamodb/dynamodb-escalation-store';
import { callKeyOf, ladderPosition, stepEndedUnanswered } from '../../../functions/core/escalation-ladder';
import type { ContactLink } from '../../../functions/core/ports/escalation-store';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

// The real SDK document client against dynalite over HTTP: every ladder move is a conditional write evaluated by a
// DynamoDB implementation, and timers, contact events and keypresses that arrive together race for real.
const TABLE = 'waferwatch-alert-state';
const T0 = Date.parse('2026-11-26T12:00:00Z');

let emulator: DynamoDbEmulator;
let client: ReturnType<typeof toDocumentClient>;
let unique = 0;

/** A fresh id per test, so the tests share one table without sharing ladders. */
function fresh(prefix: string): string {
  unique += 1;
  return `${prefix}-${unique}`;
}

function storeAt(now: () => number = () => T0): DynamoDbEscalationStore {
  return new DynamoDbEscalationStore({ client, tableName: TABLE, now });
}

/** The link place-call records when a call of the ladder starts. */
function link(inspectionId: string, contactId: string, step: number, index: number): ContactLink {
  return {
    contactId,
    inspectionId,
    stationId: 'litho-3',
    step,
    callKey: callKeyOf(step, index),
    level: step + 1,
    loop: 1,
    contactName: `Contact ${index}`,
    phone: '+1*******0100',
    startedAt: new Date(T0).toISOString(),
  };
}

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }] });
  client = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

describe('openLadder', () => {
  it('starts a ladder ringing at step 0 with the folded inspections it tells', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');

    // Act
    const opened = await store.openLadder(inspectionId, 'litho-3', ['folded-1', 'folded-2']);

    // Assess
    expect({ ...opened, foldedInspectionIds: [...opened.foldedInspectionIds].sort() }).toEqual({
      inspectionId,
      stationId: 'litho-3',
      status: 'ringing',
      step: 0,
      rungStep: -1,
      started: [],
      startedCalls: {},
      ended: [],
      dialing: [],
      anyCallStarted: false,
      foldedInspectionIds: ['folded-1', 'folded-2'],
    });
    expect(await store.getLadder(inspectionId)).toEqual(opened);
  });

  it('is idempotent: a retried delivery (or 5 at once) gets the ladder as it stands, not a fresh one', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    const first = await store.openLadder(inspectionId, 'litho-3', []);
    await store.advanceLadder(inspectionId, 0);
    const concurrentId = fresh('insp');

    // Act
    const retried = await store.openLadder(inspectionId, 'other-station', ['late-fold']);
    const concurrent = await Promise.all(Array.from({ length: 5 }, (_, index) => store.openLadder(concurrentId, 'litho-3', [`fold-${index}`])));

    // Assess
    expect(first.step).toBe(0);
    expect(retried).toMatchObject({ inspectionId, stationId: 'litho-3', step: 1, foldedInspectionIds: [] });
    const stored = await store.getLadder(concurrentId);
    // Whichever open won, every caller sees that one ladder.
    expect(stored?.foldedInspectionIds).toHaveLength(1);
    for (const ladder of concurrent) expect(ladder).toEqual(stored);
  });

  it('answers undefined for a ladder that was never opened', async () => {
    // Act
    const ladder = await storeAt().getLadder(fresh('unknown'));

    // Assess
    expect(ladder).toBeUndefined();
  });
});

describe('advanceLadder and giveUpLadder', () => {
  it('moves a ringing ladder from the step it is at only', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', []);

    // Act
    const moved = await store.advanceLadder(inspectionId, 0);
    const staleTimer = await store.advanceLadder(inspectionId, 0);
    const futureTimer = await store.advanceLadder(inspectionId, 5);
    const unknown = await store.advanceLadder(fresh('unknown'), 0);

    // Assess
    expect(moved).toMatchObject({ status: 'ringing', step: 1 });
    expect(staleTimer).toBeUndefined();
    expect(futureTimer).toBeUndefined();
    expect(unknown).toBeUndefined();
    expect((await store.getLadder(inspectionId))?.step).toBe(1);
  });

  it('lets one of two concurrent advances from the same step win (a timer and a calls-ended report together)', async () => {
    for (let round = 0; round < 5; round += 1) {
      // Prepare
      const store = storeAt();
      const inspectionId = fresh('insp');
      await store.openLadder(inspectionId, 'litho-3', []);
      await store.advanceLadder(inspectionId, 0);

      // Act
      const results = await Promise.all([store.advanceLadder(inspectionId, 1), store.advanceLadder(inspectionId, 1)]);

      // Assess
      expect(results.filter((result) => result !== undefined)).toEqual([expect.objectContaining({ step: 2, status: 'ringing' })]);
      expect((await store.getLadder(inspectionId))?.step).toBe(2);
    }
  });

  it('gives a ladder up at its current step only, once, and then it moves no more', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', []);
    await store.advanceLadder(inspectionId, 0);

    // Act
    const atOldStep = await store.giveUpLadder(inspectionId, 0);
    const atNextStep = await store.giveUpLadder(inspectionId, 2);
    const atItsStep = await store.giveUpLadder(inspectionId, 1);
    const twice = await store.giveUpLadder(inspectionId, 1);
    const advancedAfter = await store.advanceLadder(inspectionId, 1);

    // Assess
    expect([atOldStep, atNextStep, atItsStep, twice]).toEqual([false, false, true, false]);
    expect(advancedAfter).toBeUndefined();
    expect(await store.getLadder(inspectionId)).toMatchObject({ status: 'unacknowledged', step: 1 });
  });

  it('neither advances nor gives up an acknowledged ladder', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', []);
    await store.acknowledge(inspectionId, 'contact-a');

    // Act
    const advanced = await store.advanceLadder(inspectionId, 0);
    const givenUp = await store.giveUpLadder(inspectionId, 0);

    // Assess
    expect(advanced).toBeUndefined();
    expect(givenUp).toBe(false);
    expect(await store.getLadder(inspectionId)).toMatchObject({ status: 'acknowledged', step: 0, acknowledgedByContactId: 'contact-a' });
  });
});

describe('calls of a step', () => {
  it('remembers started calls by contact id, counts refused ones as started and ended, and marks a step rung once', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    const contactId = fresh('contact');
    await store.openLadder(inspectionId, 'litho-3', []);

    // Act
    await store.recordCallStarted(link(inspectionId, contactId, 0, 0));
    await store.recordCallNotStarted(inspectionId, callKeyOf(0, 1));
    const rung = await store.markStepRung(inspectionId, 0);
    const rungAgain = await store.markStepRung(inspectionId, 0);
    await store.advanceLadder(inspectionId, 0);
    const rungNext = await store.markStepRung(inspectionId, 1);
    const rungBackwards = await store.markStepRung(inspectionId, 0);

    // Assess
    expect(rung).toMatchObject({ rungStep: 0, anyCallStarted: true });
    expect([...(rung?.started ?? [])].sort()).toEqual(['0:0', '0:1']);
    expect(rung?.ended).toEqual(['0:1']);
    // Only the call that started has a contact (a retried delivery finds it instead of ringing again).
    expect(rung?.startedCalls).toEqual({ '0:0': contactId });
    expect(rungAgain?.rungStep).toBe(0);
    expect(rungNext?.rungStep).toBe(1);
    expect(rungBackwards?.rungStep).toBe(1);
    expect(await store.findContact(contactId)).toEqual(link(inspectionId, contactId, 0, 0));
    expect(await store.findContact(fresh('not-ours'))).toBeUndefined();
  });

  it('records a call ending once, however often it is reported; the step is over when every call of it ended', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    const [first, second] = [fresh('contact'), fresh('contact')];
    await store.openLadder(inspectionId, 'litho-3', []);
    await store.recordCallStarted(link(inspectionId, first, 0, 0));
    await store.recordCallStarted(link(inspectionId, second, 0, 1));
    await store.markStepRung(inspectionId, 0);

    // Act
    const firstEnded = await store.recordCallEnded(first);
    const firstAgain = await store.recordCallEnded(first);
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => store.recordCallEnded(second)));
    const unknown = await store.recordCallEnded(fresh('not-ours'));

    // Assess
    expect(firstEnded).toEqual({ firstReport: true, ladder: expect.objectContaining({ ended: ['0:0'] }) });
    expect(firstEnded.firstReport && stepEndedUnanswered(firstEnded.ladder!, 0)).toBe(false);
    expect(firstAgain).toEqual({ firstReport: false });
    const reports = concurrent.filter((report) => report.firstReport);
    expect(reports).toHaveLength(1);
    const after = reports[0]!.firstReport ? reports[0]!.ladder : undefined;
    expect([...(after?.ended ?? [])].sort()).toEqual(['0:0', '0:1']);
    expect(stepEndedUnanswered(after!, 0)).toBe(true);
    expect(unknown).toEqual({ firstReport: false });
  });
});

describe('acknowledge', () => {
  it('lets the first of 10 contacts pressing a key at once acknowledge, and tells the others who did', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', ['folded-1']);
    const contacts = Array.from({ length: 10 }, (_, index) => `contact-${index}`);

    // Act
    const answers = await Promise.all(contacts.map((contactId) => store.acknowledge(inspectionId, contactId)));

    // Assess
    const winners = answers.filter((answer) => answer.acknowledged);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.acknowledged ? winners[0]!.ladder.acknowledgedByContactId : undefined;
    expect(contacts).toContain(winner);
    expect(winners[0]).toMatchObject({ ladder: { status: 'acknowledged', foldedInspectionIds: ['folded-1'] } });
    for (const answer of answers.filter((each) => !each.acknowledged)) expect(answer).toEqual({ acknowledged: false, byContactId: winner });
    expect(await store.getLadder(inspectionId)).toMatchObject({ status: 'acknowledged', acknowledgedByContactId: winner });
  });

  it('counts a late answer on a ladder that was already given up as unacknowledged', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', []);
    await store.giveUpLadder(inspectionId, 0);

    // Act
    const late = await store.acknowledge(inspectionId, 'contact-late');

    // Assess
    expect(late).toEqual({ acknowledged: true, ladder: expect.objectContaining({ status: 'acknowledged', acknowledgedByContactId: 'contact-late' }) });
  });

  it('answers a second key from the same contact with its own acknowledgement, and an unknown ladder with nothing', async () => {
    // Prepare
    const store = storeAt();
    const inspectionId = fresh('insp');
    await store.openLadder(inspectionId, 'litho-3', []);
    await store.acknowledge(inspectionId, 'contact-a');

    // Act
    const again = await store.acknowledge(inspectionId, 'contact-a');
    const unknown = await store.acknowledge(fresh('unknown'), 'contact-a');

    // Assess
    expect(again).toEqual({ acknowledged: false, byContactId: 'contact-a' });
    expect(unknown).toEqual({ acknowledged: false });
  });
});

describe('ladder helpers', () => {
  it('stepEndedUnanswered: true only when a call of the step started and every one of them ended', () => {
    // Assess
    expect(stepEndedUnanswered({ started: [], ended: [] }, 0)).toBe(false);
    expect(stepEndedUnanswered({ started: ['0:0', '0:1'], ended: ['0:0'] }, 0)).toBe(false);
    expect(stepEndedUnanswered({ started: ['0:0', '0:1'], ended: ['0:1', '0:0'] }, 0)).toBe(true);
    // Other steps do not count, including ones whose number starts with the same digit.
    expect(stepEndedUnanswered({ started: ['1:0', '10:0', '11:2'], ended: ['1:0'] }, 1)).toBe(true);
    expect(stepEndedUnanswered({ started: ['1:0', '10:0'], ended: ['10:0'] }, 1)).toBe(false);
    expect(stepEndedUnanswered({ started: ['0:0'], ended: ['0:0'] }, 1)).toBe(false);
  });

  it('ladderPosition: each level once per loop, in order', () => {
    // Act
    const positions = Array.from({ length: 6 }, (_, step) => ladderPosition(step, 3));

    // Assess
    expect(positions).toEqual([
      { levelIndex: 0, loop: 1 },
      { levelIndex: 1, loop: 1 },
      { levelIndex: 2, loop: 1 },
      { levelIndex: 0, loop: 2 },
      { levelIndex: 1, loop: 2 },
      { levelIndex: 2, loop: 2 },
    ]);
    expect(ladderPosition(3, 0)).toEqual({ levelIndex: 0, loop: 4 });
  });
});
