import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { DynamoDbAlertStateStore, toDocumentClient } from '../../../functions/adapters/dynamodb-alert-state-store';
import type { CallDecision } from '../../../functions/core/alert-state';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

// Random sequences of anomalies, retries and refused calls on one station, run against dynalite
// and against a few lines of reference model: the conditional writes must agree with the model
// at every step (one call per cooldown, nothing folded twice or lost, retries answered the same).
const TABLE = 'alert-state-model';
const COOLDOWN_MS = 300_000;
const T0 = Date.parse('2026-11-26T12:00:00Z');

type Step = { kind: 'anomaly'; inspection: string; advanceMs: number } | { kind: 'refused'; inspection: string };

/** The station's rules, stated plainly. */
class StationModel {
  private lastCallAt: number | undefined;
  private owner: string | undefined;
  private carried = 0;
  private folded = 0;

  anomaly(inspection: string, now: number): CallDecision {
    if (this.owner === inspection) return { call: true, foldedCount: this.carried };
    if (this.lastCallAt === undefined || this.lastCallAt <= now - COOLDOWN_MS) {
      this.carried = this.folded;
      this.folded = 0;
      this.owner = inspection;
      this.lastCallAt = now;
      return { call: true, foldedCount: this.carried };
    }
    this.folded += 1;
    return { call: false, foldedCount: this.folded, activeCallInspectionId: this.owner as string };
  }

  refused(inspection: string): boolean {
    if (this.owner !== inspection) return false;
    this.folded += this.carried + 1;
    this.owner = undefined;
    this.lastCallAt = undefined;
    this.carried = 0;
    return true;
  }
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('anomaly' as const), inspection: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), advanceMs: fc.constantFrom(0, 1_000, COOLDOWN_MS / 2, COOLDOWN_MS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refused' as const), inspection: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }) },
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
  it('agrees with the model on every decision for random anomalies, retries and refusals', async () => {
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
            expect(actual).toEqual(model.anomaly(current.inspection, now));
          } else {
            const actual = await store.recordCallFailed(station, current.inspection);
            expect(actual).toBe(model.refused(current.inspection));
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
