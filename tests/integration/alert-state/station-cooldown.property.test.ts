import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import type { CallDecision, FoldedCallDecision } from '../../../functions/core/ports/alert-state-store';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

// Random sequences of anomalies, retries, refused calls and cooldown ends on one station, run against dynalite
// and against a few lines of reference model: the conditional writes must agree with the model
// at every step (one call per cooldown, nothing folded twice or lost, retries answered the same, and the anomalies
// folded during a cooldown told once, by the next call or by the cooldown's end).
const TABLE = 'alert-state-model';
const COOLDOWN_MS = 300_000;
const T0 = Date.parse('2026-11-26T12:00:00Z');

type Step = { kind: 'anomaly'; inspection: string; advanceMs: number } | { kind: 'refused'; inspection: string } | { kind: 'cooldown-end'; advanceMs: number };

/** The station's rules, stated plainly. */
class StationModel {
  private lastCallAt: number | undefined;
  private owner: string | undefined;
  /** What the current call was told (lastCallFoldedCount) and what it must hand back if it fails (lastCallUntoldCount). */
  private carried = 0;
  private untold = 0;
  private folded = 0;
  /** The inspections folded since the last call started (a fold is counted once per inspection). */
  private foldedIds = new Set<string>();
  /** The current call, when a cooldown's end started it: asked again within its cooldown, it is answered again. */
  private summary: { foldedCount: number; leadInspectionId: string; foldedInspectionIds: string[] } | undefined;

  anomaly(inspection: string, now: number): CallDecision {
    if (this.owner === inspection) return { call: true, foldedCount: this.carried };
    if (this.lastCallAt === undefined || this.lastCallAt <= now - COOLDOWN_MS) {
      const handedOver = [...this.foldedIds].sort();
      this.startCall(inspection, now, this.folded, this.folded + 1);
      return { call: true, foldedCount: this.carried, ...(handedOver.length > 0 ? { foldedInspectionIds: handedOver } : {}) };
    }
    if (!this.foldedIds.has(inspection)) {
      this.folded += 1;
      this.foldedIds.add(inspection);
    }
    return { call: false, foldedCount: this.folded, activeCallInspectionId: this.owner as string, cooldownEndsAtMs: this.lastCallAt + COOLDOWN_MS };
  }

  refused(inspection: string): boolean {
    if (this.owner !== inspection) return false;
    this.folded += this.untold;
    this.owner = undefined;
    this.summary = undefined;
    this.lastCallAt = undefined;
    this.carried = 0;
    this.untold = 0;
    return true;
  }

  cooldownEnd(now: number): FoldedCallDecision {
    if (this.summary && this.lastCallAt !== undefined && this.lastCallAt > now - COOLDOWN_MS) return { call: true, ...this.summary };
    const ids = [...this.foldedIds].sort();
    if (this.folded <= 0 || ids.length === 0) return { call: false, reason: 'nothing-folded' };
    if (this.lastCallAt !== undefined && this.lastCallAt > now - COOLDOWN_MS)
      return { call: false, reason: 'cooling-down', cooldownEndsAtMs: this.lastCallAt + COOLDOWN_MS };
    const count = this.folded;
    const lead = ids[ids.length - 1] as string;
    this.startCall(lead, now, count, count);
    this.summary = { foldedCount: count, leadInspectionId: lead, foldedInspectionIds: ids };
    return { call: true, ...this.summary };
  }

  private startCall(owner: string, now: number, carried: number, untold: number): void {
    this.summary = undefined;
    this.owner = owner;
    this.lastCallAt = now;
    this.carried = carried;
    this.untold = untold;
    this.folded = 0;
    this.foldedIds = new Set();
  }
}

/** String sets come back in no particular order; compare them sorted. */
function sortedIds<T extends CallDecision | FoldedCallDecision>(decision: T): T {
  return 'foldedInspectionIds' in decision && decision.foldedInspectionIds
    ? { ...decision, foldedInspectionIds: [...decision.foldedInspectionIds].sort() }
    : decision;
}

const inspection = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const advanceMs = fc.constantFrom(0, 1_000, COOLDOWN_MS / 2, COOLDOWN_MS);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('anomaly' as const), inspection, advanceMs }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refused' as const), inspection }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cooldown-end' as const), advanceMs }) },
);

let emulator: DynamoDbEmulator;
let store: DynamoDbAlertStateStore;
let client: ReturnType<typeof toDocumentClient>;

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ tables: [{ name: TABLE, partitionKey: 'pk' }] });
  client = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
  store = new DynamoDbAlertStateStore({ client, tableName: TABLE });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

describe('station cooldown against a reference model', () => {
  it('agrees with the model on every decision for random anomalies, retries, refusals and cooldown ends', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        // Prepare
        run += 1;
        const station = `station-${run}`;
        const model = new StationModel();
        let now = T0;

        for (const current of steps) {
          // Act
          if (current.kind === 'anomaly') {
            now += current.advanceMs;
            const actual = await store.tryStartCall(station, current.inspection, now, COOLDOWN_MS);

            // Assess
            expect(sortedIds(actual)).toEqual(model.anomaly(current.inspection, now));
          } else if (current.kind === 'cooldown-end') {
            now += current.advanceMs;
            const actual = await store.tryStartFoldedCall(station, now, COOLDOWN_MS);
            expect(sortedIds(actual)).toEqual(model.cooldownEnd(now));
          } else {
            const actual = await store.recordCallFailed(station, current.inspection);
            expect(actual).toBe(model.refused(current.inspection));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
