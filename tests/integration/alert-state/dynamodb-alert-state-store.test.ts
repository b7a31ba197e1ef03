import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

// The real SDK document client against dynalite over HTTP: the conditions are evaluated by a
// DynamoDB implementation, and concurrent requests race for real.
const TABLE = 'waferwatch-alert-state';
const COOLDOWN_MS = 5 * 60_000;
const T0 = Date.parse('2026-11-26T12:00:00Z');

let emulator: DynamoDbEmulator;
let client: ReturnType<typeof toDocumentClient>;
const clock = T0;
let unique = 0;

/** A fresh key per test, so the tests share one emulator without sharing state. */
function fresh(prefix: string): string {
  unique += 1;
  return `${prefix}-${unique}`;
}

function storeAt(now: () => number = () => clock): DynamoDbAlertStateStore {
  return new DynamoDbAlertStateStore({ client, tableName: TABLE, now });
}

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }] });
  client = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

describe('claimImage', () => {
  it('lets exactly one of 10 concurrent claims of the same image be first, and tells the others its inspection id', async () => {
    // Prepare
    const store = storeAt();
    const sha = fresh('sha');
    const ids = Array.from({ length: 10 }, (_, i) => `insp-${i}`);

    // Act
    const claims = await Promise.all(ids.map((id) => store.claimImage(sha, id, 3600)));

    // Assess
    const winners = ids.filter((_, i) => claims[i]?.firstSeen);
    expect(winners).toHaveLength(1);
    for (const claim of claims) {
      if (!claim.firstSeen) expect(claim.inspectionId).toBe(winners[0]);
    }
  });

  it('answers firstSeen again to the same inspection (a retried event) and treats an expired claim as new', async () => {
    // Prepare
    let now = T0;
    const store = storeAt(() => now);
    const sha = fresh('sha');
    await store.claimImage(sha, 'first', 60);

    // Act
    const retry = await store.claimImage(sha, 'first', 60);
    const other = await store.claimImage(sha, 'second', 60);
    now += 61_000;
    const afterExpiry = await store.claimImage(sha, 'third', 60);

    // Assess
    expect(retry).toEqual({ firstSeen: true });
    expect(other).toEqual({ firstSeen: false, inspectionId: 'first' });
    expect(afterExpiry).toEqual({ firstSeen: true });
    expect(await store.claimImage(sha, 'fourth', 60)).toEqual({ firstSeen: false, inspectionId: 'third' });
  });

  it("gives back only the releasing inspection's own claim", async () => {
    // Prepare
    const store = storeAt();
    const sha = fresh('sha');
    await store.claimImage(sha, 'first', 3600);

    // Act: another inspection's release leaves the claim; the holder's own gives it back.
    await store.releaseImage(sha, 'second');
    const afterOthersRelease = await store.claimImage(sha, 'third', 3600);
    await store.releaseImage(sha, 'first');
    const afterOwnRelease = await store.claimImage(sha, 'fourth', 3600);
    await store.releaseImage(fresh('never-claimed'), 'fifth');

    // Assess
    expect(afterOthersRelease).toEqual({ firstSeen: false, inspectionId: 'first' });
    expect(afterOwnRelease).toEqual({ firstSeen: true });
  });
});

describe('claimAlert', () => {
  it('grants one of 10 concurrent claims; a completed alert answers done with its outcome', async () => {
    // Prepare
    const store = storeAt();
    const id = fresh('alert');

    // Act
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimAlert(id, 30)));
    await store.completeAlert(id, 'placed');
    const redelivered = await store.claimAlert(id, 30);

    // Assess
    expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
    expect(claims.filter((claim) => !claim.claimed && claim.state === 'in-progress')).toHaveLength(9);
    expect(redelivered).toEqual({ claimed: false, state: 'done', outcome: 'placed' });
  });

  it('lets a redelivery take over after the lease of a crashed invocation, or at once after a release', async () => {
    // Prepare
    let now = T0;
    const store = storeAt(() => now);
    const crashed = fresh('alert');
    const released = fresh('alert');
    await store.claimAlert(crashed, 30);
    await store.claimAlert(released, 30);

    // Act
    const duringLease = await store.claimAlert(crashed, 30);
    await store.releaseAlert(released);
    const afterRelease = await store.claimAlert(released, 30);
    now += 30_000;
    const afterLease = await store.claimAlert(crashed, 30);

    // Assess
    expect(duringLease).toEqual({ claimed: false, state: 'in-progress' });
    expect(afterRelease).toEqual({ claimed: true });
    expect(afterLease).toEqual({ claimed: true });
  });

  it('reopens an alert that ended without a call (a dead-letter redrive), and never one that rang or folded', async () => {
    // Prepare
    const store = storeAt();
    const [failed, capped, placed, folded, inProgress] = [fresh('failed'), fresh('capped'), fresh('placed'), fresh('folded'), fresh('held')] as const;
    for (const [id, outcome] of [
      [failed, 'failed'],
      [capped, 'capped'],
      [placed, 'placed'],
      [folded, 'folded'],
    ] as const) {
      await store.claimAlert(id, 30);
      await store.completeAlert(id, outcome);
    }
    await store.claimAlert(inProgress, 30);

    // Act
    const reopened = await Promise.all([failed, capped, placed, folded, inProgress, fresh('unknown')].map((id) => store.reopenAlert(id)));

    // Assess
    expect(reopened).toEqual([true, true, false, false, false, false]);
    expect(await store.claimAlert(failed, 30)).toEqual({ claimed: true });
    expect(await store.claimAlert(capped, 30)).toEqual({ claimed: true });
    expect(await store.claimAlert(placed, 30)).toEqual({ claimed: false, state: 'done', outcome: 'placed' });
    expect(await store.claimAlert(inProgress, 30)).toEqual({ claimed: false, state: 'in-progress' });
  });

  it('does not release a done alert', async () => {
    // Prepare
    const store = storeAt();
    const id = fresh('alert');
    await store.claimAlert(id, 30);
    await store.completeAlert(id, 'folded');

    // Act
    await store.releaseAlert(id);

    // Assess
    expect(await store.claimAlert(id, 30)).toEqual({ claimed: false, state: 'done', outcome: 'folded' });
  });
});

describe('tryStartCall', () => {
  it('rings exactly once for 20 concurrent anomalies on one station and folds the other 19', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    const ids = Array.from({ length: 20 }, (_, i) => `anomaly-${i}`);

    // Act
    const decisions = await Promise.all(ids.map((id) => store.tryStartCall(station, id, T0, COOLDOWN_MS)));
    const next = await store.tryStartCall(station, 'after-cooldown', T0 + COOLDOWN_MS, COOLDOWN_MS);

    // Assess
    const calls = decisions.filter((decision) => decision.call);
    expect(calls).toEqual([{ call: true, foldedCount: 0 }]);
    const caller = ids[decisions.findIndex((decision) => decision.call)];
    const foldedCounts = decisions.flatMap((decision) => (decision.call ? [] : [decision.foldedCount])).sort((a, b) => a - b);
    expect(foldedCounts).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    for (const decision of decisions)
      if (!decision.call) expect(decision).toMatchObject({ activeCallInspectionId: caller, cooldownEndsAtMs: T0 + COOLDOWN_MS });
    // The next call takes over the 19 folds by name, so its acknowledgement acknowledges them too.
    expect(next).toEqual({ call: true, foldedCount: 19, foldedInspectionIds: expect.any(Array) });
    expect(next.call && [...(next.foldedInspectionIds ?? [])].sort()).toEqual(ids.filter((id) => id !== caller).sort());
  });

  it('answers call again, with the same folded count, to the inspection that owns the call (a retry), even after the cooldown', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, 'b', T0 + 1_000, COOLDOWN_MS);
    await store.tryStartCall(station, 'c', T0 + COOLDOWN_MS, COOLDOWN_MS);

    // Act
    const retryInside = await store.tryStartCall(station, 'c', T0 + COOLDOWN_MS + 10_000, COOLDOWN_MS);
    const retryAfter = await store.tryStartCall(station, 'c', T0 + 3 * COOLDOWN_MS, COOLDOWN_MS);

    // Assess
    expect(retryInside).toEqual({ call: true, foldedCount: 1 });
    expect(retryAfter).toEqual({ call: true, foldedCount: 1 });
  });

  it('keeps stations apart', async () => {
    // Prepare
    const store = storeAt();
    const [one, two] = [fresh('station'), fresh('station')];

    // Act
    const decisions = await Promise.all([store.tryStartCall(one, 'x', T0, COOLDOWN_MS), store.tryStartCall(two, 'y', T0, COOLDOWN_MS)]);

    // Assess
    expect(decisions).toEqual([
      { call: true, foldedCount: 0 },
      { call: true, foldedCount: 0 },
    ]);
  });
});

describe('tryStartCall: folds by inspection', () => {
  it('hands the folded inspections over to the next call by name, and starts the next cooldown with none', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, 'b', T0 + 1_000, COOLDOWN_MS);
    await store.tryStartCall(station, 'c', T0 + 2_000, COOLDOWN_MS);

    // Act
    const next = await store.tryStartCall(station, 'd', T0 + COOLDOWN_MS, COOLDOWN_MS);
    const afterNext = await store.tryStartCall(station, 'e', T0 + 2 * COOLDOWN_MS, COOLDOWN_MS);

    // Assess
    expect(next.call && { ...next, foldedInspectionIds: [...(next.foldedInspectionIds ?? [])].sort() }).toEqual({
      call: true,
      foldedCount: 2,
      foldedInspectionIds: ['b', 'c'],
    });
    // Nothing was folded into d's call: the key is left out rather than sent empty.
    expect(afterNext).toEqual({ call: true, foldedCount: 0 });
  });

  it('counts a fold once per inspection: a redelivered anomaly answers the same decision and is not counted twice', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    const first = await store.tryStartCall(station, 'b', T0 + 1_000, COOLDOWN_MS);

    // Act
    const again = await store.tryStartCall(station, 'b', T0 + 2_000, COOLDOWN_MS);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => store.tryStartCall(station, 'c', T0 + 3_000, COOLDOWN_MS)));
    const next = await store.tryStartCall(station, 'd', T0 + COOLDOWN_MS, COOLDOWN_MS);

    // Assess
    expect(first).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: 'a', cooldownEndsAtMs: T0 + COOLDOWN_MS });
    expect(again).toEqual(first);
    expect(concurrent).toEqual(
      Array.from({ length: 5 }, () => ({ call: false, foldedCount: 2, activeCallInspectionId: 'a', cooldownEndsAtMs: T0 + COOLDOWN_MS })),
    );
    expect(next.call && next.foldedCount).toBe(2);
    expect(next.call && [...(next.foldedInspectionIds ?? [])].sort()).toEqual(['b', 'c']);
  });

  it('tells a folded anomaly when the cooldown of the call it was folded into ends, by the station or the call default', async () => {
    // Prepare
    const store = storeAt();
    const [short, long] = [fresh('station'), fresh('station')];
    await store.tryStartCall(short, 'a', T0, 60_000);
    await store.tryStartCall(long, 'x', T0 + 5_000, 3_600_000);

    // Act
    const foldedShort = await store.tryStartCall(short, 'b', T0 + 59_999, 60_000);
    const foldedLong = await store.tryStartCall(long, 'y', T0 + 3_000_000, 3_600_000);

    // Assess
    expect(foldedShort).toMatchObject({ call: false, cooldownEndsAtMs: T0 + 60_000 });
    expect(foldedLong).toMatchObject({ call: false, cooldownEndsAtMs: T0 + 5_000 + 3_600_000 });
  });
});

describe('tryStartFoldedCall', () => {
  // Inspection ids are ULIDs: the lexically greatest is the newest.
  const [older, middle, newest] = ['01KB0000000000000000000001', '01KB0000000000000000000002', '01KB0000000000000000000003'];

  it('has nothing to tell on a station never rung, or rung with nothing folded since', async () => {
    // Prepare
    const store = storeAt();
    const [never, quiet] = [fresh('station'), fresh('station')];
    await store.tryStartCall(quiet, 'a', T0, COOLDOWN_MS);

    // Act
    const decisions = await Promise.all([
      store.tryStartFoldedCall(never, T0 + COOLDOWN_MS, COOLDOWN_MS),
      store.tryStartFoldedCall(quiet, T0 + COOLDOWN_MS, COOLDOWN_MS),
    ]);

    // Assess
    expect(decisions).toEqual([
      { call: false, reason: 'nothing-folded' },
      { call: false, reason: 'nothing-folded' },
    ]);
  });

  it('waits while the station is still cooling down, and says when that ends', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, older, T0 + 1_000, COOLDOWN_MS);

    // Act
    const early = await store.tryStartFoldedCall(station, T0 + COOLDOWN_MS - 1, COOLDOWN_MS);

    // Assess
    expect(early).toEqual({ call: false, reason: 'cooling-down', cooldownEndsAtMs: T0 + COOLDOWN_MS });
  });

  it('rings about the folded anomalies at the cooldown end, led by the newest, and makes it the station call', async () => {
    // Prepare: the folds arrive out of id order (a redelivery)
    const store = storeAt();
    const station = fresh('station');
    const end = T0 + COOLDOWN_MS;
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    for (const [offset, id] of [
      [1_000, newest],
      [2_000, older],
      [3_000, middle],
    ] as const)
      await store.tryStartCall(station, id, T0 + offset, COOLDOWN_MS);

    // Act
    const decision = await store.tryStartFoldedCall(station, end, COOLDOWN_MS);
    const again = await store.tryStartFoldedCall(station, end + 1_000, COOLDOWN_MS);
    const retryOfLead = await store.tryStartCall(station, newest, end + 2_000, COOLDOWN_MS);
    const foldedIntoLead = await store.tryStartCall(station, 'later', end + 3_000, COOLDOWN_MS);

    // Assess
    expect(decision).toEqual({ call: true, foldedCount: 3, leadInspectionId: newest, foldedInspectionIds: [older, middle, newest] });
    // A repeated (or retried) delivery of the cooldown end within the new cooldown is answered the same call, so a
    // delivery that failed half-way can finish it (the ladder never rings a started call twice).
    expect(again).toEqual(decision);
    // The lead owns the station call now: its retry rings again with the same count, later anomalies fold into it.
    expect(retryOfLead).toEqual({ call: true, foldedCount: 3 });
    expect(foldedIntoLead).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: newest, cooldownEndsAtMs: end + COOLDOWN_MS });
  });

  it('hands the count back when the folded call fails, without counting the lead twice', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, older, T0 + 1_000, COOLDOWN_MS);
    await store.tryStartCall(station, newest, T0 + 2_000, COOLDOWN_MS);
    await store.tryStartFoldedCall(station, T0 + COOLDOWN_MS, COOLDOWN_MS);

    // Act
    const released = await store.recordCallFailed(station, newest);
    const next = await store.tryStartCall(station, 'b', T0 + COOLDOWN_MS + 1_000, COOLDOWN_MS);

    // Assess
    expect(released).toBe(true);
    expect(next).toEqual({ call: true, foldedCount: 2 });
  });

  it('lets exactly one of 5 concurrent cooldown ends take the folds, and answers the others the same call', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, older, T0 + 1_000, COOLDOWN_MS);
    await store.tryStartCall(station, newest, T0 + 2_000, COOLDOWN_MS);

    // Act
    const decisions = await Promise.all(Array.from({ length: 5 }, () => store.tryStartFoldedCall(station, T0 + COOLDOWN_MS, COOLDOWN_MS)));

    // Assess
    expect(decisions).toEqual(
      Array.from({ length: 5 }, () => ({ call: true, foldedCount: 2, leadInspectionId: newest, foldedInspectionIds: [older, newest] })),
    );
    // The station took the folds once: a new anomaly after the cooldown hands over nothing.
    expect(await store.tryStartCall(station, 'after', T0 + 2 * COOLDOWN_MS + 1, COOLDOWN_MS)).toEqual({ call: true, foldedCount: 0 });
  });

  it('races a new anomaly at the cooldown end: one call, and every fold told exactly once', async () => {
    for (let round = 0; round < 5; round += 1) {
      // Prepare
      const store = storeAt();
      const station = fresh('station');
      const end = T0 + COOLDOWN_MS;
      await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
      await store.tryStartCall(station, older, T0 + 1_000, COOLDOWN_MS);
      await store.tryStartCall(station, middle, T0 + 2_000, COOLDOWN_MS);

      // Act
      const [folded, anomaly] = await Promise.all([store.tryStartFoldedCall(station, end, COOLDOWN_MS), store.tryStartCall(station, newest, end, COOLDOWN_MS)]);

      // Assess
      expect([folded, anomaly].filter((decision) => decision.call)).toHaveLength(1);
      if (folded.call) {
        expect(folded).toEqual({ call: true, foldedCount: 2, leadInspectionId: middle, foldedInspectionIds: [older, middle] });
        expect(anomaly).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: middle, cooldownEndsAtMs: end + COOLDOWN_MS });
      } else {
        expect(folded).toEqual({ call: false, reason: 'nothing-folded' });
        expect(anomaly.call && { ...anomaly, foldedInspectionIds: [...(anomaly.foldedInspectionIds ?? [])].sort() }).toEqual({
          call: true,
          foldedCount: 2,
          foldedInspectionIds: [older, middle],
        });
      }
    }
  });
});

describe('recordCallFailed', () => {
  it('ends the cooldown of a refused call and hands its folded count back, plus the refused anomaly', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, 'b', T0 + 1_000, COOLDOWN_MS);
    await store.tryStartCall(station, 'c', T0 + COOLDOWN_MS, COOLDOWN_MS); // carries b
    await store.tryStartCall(station, 'd', T0 + COOLDOWN_MS + 1_000, COOLDOWN_MS); // folded into c

    // Act
    const released = await store.recordCallFailed(station, 'c');
    const next = await store.tryStartCall(station, 'e', T0 + COOLDOWN_MS + 2_000, COOLDOWN_MS);

    // Assess
    expect(released).toBe(true);
    // b, c itself, d; only d is named: b went with c's call (a failed call hands back its count, not its names).
    expect(next).toEqual({ call: true, foldedCount: 3, foldedInspectionIds: ['d'] });
  });

  it('leaves the station alone when another inspection already owns its call', async () => {
    // Prepare
    const store = storeAt();
    const station = fresh('station');
    await store.tryStartCall(station, 'a', T0, COOLDOWN_MS);
    await store.tryStartCall(station, 'b', T0 + COOLDOWN_MS, COOLDOWN_MS);

    // Act
    const released = await store.recordCallFailed(station, 'a');
    const folded = await store.tryStartCall(station, 'c', T0 + COOLDOWN_MS + 1, COOLDOWN_MS);

    // Assess
    expect(released).toBe(false);
    expect(folded).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: 'b', cooldownEndsAtMs: T0 + 2 * COOLDOWN_MS });
  });
});

describe('reserveDailyCall', () => {
  const ask = (dayUtc: string, reservation: string, stationId = 'litho-1', stationCap = 1000, globalCap = 3) =>
    ({ dayUtc, stationId, stationCap, globalCap, reservation }) as const;

  it('grants exactly 3 of 10 concurrent reservations under a ceiling of 3, and keeps a granted inspection granted', async () => {
    // Prepare
    const store = storeAt();
    const day = '2031-05-10';
    const ids = Array.from({ length: 10 }, (_, i) => `call-${i}`);

    // Act
    const granted = await Promise.all(ids.map((id) => store.reserveDailyCall(ask(day, id))));
    const winners = ids.filter((_, i) => granted[i] === 'reserved');
    const again = await Promise.all(winners.map((id) => store.reserveDailyCall(ask(day, id))));
    const nextDay = await store.reserveDailyCall(ask('2031-12-31', 'call-late'));

    // Assess
    expect(winners).toHaveLength(3);
    expect(granted.filter((outcome) => outcome !== 'reserved')).toEqual(Array(7).fill('global-cap'));
    expect(again).toEqual(['reserved', 'reserved', 'reserved']);
    expect(nextDay).toBe('reserved');
  });

  it('holds each station to its own cap under concurrent attempts, so a flooding station leaves the ceiling to the others', async () => {
    // Prepare: station A floods with 20 concurrent calls; its cap is 2, the ceiling 5.
    const store = storeAt();
    const day = '2031-05-11';

    // Act
    const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => store.reserveDailyCall(ask(day, `a-${i}`, 'A', 2, 5))));
    const others = await Promise.all(['b-1', 'c-1', 'd-1'].map((id, i) => store.reserveDailyCall(ask(day, id, ['B', 'C', 'D'][i], 2, 5))));
    const overCeiling = await store.reserveDailyCall(ask(day, 'e-1', 'E', 2, 5));

    // Assess: A got exactly its 2, the others their call each, and the sixth call of the day met the ceiling.
    expect(flood.filter((outcome) => outcome === 'reserved')).toHaveLength(2);
    expect(flood.filter((outcome) => outcome === 'station-cap')).toHaveLength(18);
    expect(others).toEqual(['reserved', 'reserved', 'reserved']);
    expect(overCeiling).toBe('global-cap');
  });

  it('gives a station its reservation back when the ceiling refuses, so its cap is not spent on a call that never rang', async () => {
    // Prepare: the ceiling (1) is used by station A.
    const store = storeAt();
    const day = '2031-05-12';
    await store.reserveDailyCall(ask(day, 'a-1', 'A', 1, 1));

    // Act: B is refused by the ceiling; on another day with room its cap of 1 is still whole.
    const refused = await store.reserveDailyCall(ask(day, 'b-1', 'B', 1, 1));
    const concurrent = await Promise.all(Array.from({ length: 8 }, (_, i) => store.reserveDailyCall(ask(day, `b-${i + 2}`, 'B', 1, 1))));

    // Assess: refused every time (by the ceiling, or by B's cap while another attempt holds it for a moment), and
    // once the ceiling has room B's one call is still there.
    expect(refused).toBe('global-cap');
    expect(concurrent).not.toContain('reserved');
    expect(await store.reserveDailyCall(ask(day, 'b-1', 'B', 1, 2))).toBe('reserved');
  });

  it('claims the notice of a limit once per day, however many ask at once', async () => {
    // Prepare
    const store = storeAt();

    // Act
    const claims = await Promise.all(Array.from({ length: 6 }, () => store.claimCapNotice('2031-05-13', 'station-cap', 'A')));
    const ceiling = await store.claimCapNotice('2031-05-13', 'global-cap', 'A');
    const otherStation = await store.claimCapNotice('2031-05-13', 'station-cap', 'B');
    const nextDay = await store.claimCapNotice('2031-05-14', 'station-cap', 'A');

    // Assess
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect([ceiling, otherStation, nextDay]).toEqual([true, true, true]);
  });

  it('rejects a day that is not YYYY-MM-DD', async () => {
    // Prepare
    const store = storeAt();

    // Act
    const reservation = store.reserveDailyCall(ask('26/11/2026', 'x'));

    // Assess
    await expect(reservation).rejects.toThrow('Not a UTC day');
  });
});
