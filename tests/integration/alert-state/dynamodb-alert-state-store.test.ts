import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb-alert-state-store';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

// The real SDK document client against dynalite over HTTP: the conditions are evaluated by a
// DynamoDB implementation, and concurrent requests race for real.
const TABLE = 'waferwatch-alert-state';
const COOLDOWN_MS = 5 * 60_000;
const T0 = Date.parse('2026-11-26T12:00:00Z');

let emulator: DynamoDbEmulator;
let client: ReturnType<typeof toDocumentClient>;
let clock = T0;
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
    for (const [id, outcome] of [[failed, 'failed'], [capped, 'capped'], [placed, 'placed'], [folded, 'folded']] as const) {
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
    for (const decision of decisions) if (!decision.call) expect(decision.activeCallInspectionId).toBe(caller);
    expect(next).toEqual({ call: true, foldedCount: 19 });
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
    expect(next).toEqual({ call: true, foldedCount: 3 }); // b, c itself, d
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
    expect(folded).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: 'b' });
  });
});

describe('reserveDailyCall', () => {
  it('grants exactly 3 of 10 concurrent reservations under a cap of 3, and keeps a granted inspection granted', async () => {
    // Prepare
    const store = storeAt();
    const day = '2031-05-10';
    const ids = Array.from({ length: 10 }, (_, i) => `call-${i}`);

    // Act
    const granted = await Promise.all(ids.map((id) => store.reserveDailyCall(day, 3, id)));
    const winners = ids.filter((_, i) => granted[i]);
    const again = await Promise.all(winners.map((id) => store.reserveDailyCall(day, 3, id)));
    const nextDay = await store.reserveDailyCall('2031-12-31', 3, 'call-late');

    // Assess
    expect(winners).toHaveLength(3);
    expect(again).toEqual([true, true, true]);
    expect(nextDay).toBe(true);
  });

  it('rejects a day that is not YYYY-MM-DD', async () => {
    // Prepare
    const store = storeAt();

    // Act
    const reservation = store.reserveDailyCall('26/11/2026', 3, 'x');

    // Assess
    await expect(reservation).rejects.toThrow('Not a UTC day');
  });
});
