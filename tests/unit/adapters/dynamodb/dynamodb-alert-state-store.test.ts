import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbAlertStateStore } from '../../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { utcDay } from '../../../../functions/core/place-operator-call';

const dynamo = mockClient(DynamoDBDocumentClient);
const TABLE = 'alert-state';
const NOW = Date.parse('2026-11-26T12:00:00Z');
const NOW_S = NOW / 1000;
const DAY = 86_400;

function conditionFailed(item?: ConditionalCheckFailedException['Item']): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, ...(item ? { Item: item } : {}) });
}

describe('DynamoDbAlertStateStore', () => {
  let store: DynamoDbAlertStateStore;

  beforeEach(() => {
    dynamo.reset();
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
    store = new DynamoDbAlertStateStore({ client, tableName: TABLE, now: () => NOW });
  });

  describe('claimImage', () => {
    it('puts the claim only if no live claim by another inspection exists', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});

      // Act
      const claim = await store.claimImage('ab'.repeat(32), 'insp-1', 3600);

      // Assess
      expect(claim).toEqual({ firstSeen: true });
      expect(dynamo).toReceiveCommandExactlyOnceWith(PutCommand, {
        TableName: TABLE,
        Item: { pk: `image#${'ab'.repeat(32)}`, inspectionId: 'insp-1', claimedAt: NOW, expiresAt: NOW_S + 3600 },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR inspectionId = :inspectionId',
        ExpressionAttributeValues: { ':nowSeconds': NOW_S, ':inspectionId': 'insp-1' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('names the first inspection from the item DynamoDB returns with the failed condition, without reading again', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed({ pk: { S: 'image#x' }, inspectionId: { S: 'insp-first' }, expiresAt: { N: String(NOW_S + 10) } }));

      // Act
      const claim = await store.claimImage('x', 'insp-2', 3600);

      // Assess
      expect(claim).toEqual({ firstSeen: false, inspectionId: 'insp-first' });
      expect(dynamo).not.toReceiveCommand(GetCommand);
    });

    it('reads the claim consistently when the failed condition carries no item (emulators)', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({ Item: { pk: 'image#x', inspectionId: 'insp-first' } });

      // Act
      const claim = await store.claimImage('x', 'insp-2', 3600);

      // Assess
      expect(claim).toEqual({ firstSeen: false, inspectionId: 'insp-first' });
      expect(dynamo).toReceiveCommandWith(GetCommand, { TableName: TABLE, Key: { pk: 'image#x' }, ConsistentRead: true });
    });

    it('lets other DynamoDB failures through', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

      // Act
      const claim = store.claimImage('x', 'insp-2', 3600);

      // Assess
      await expect(claim).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    });
  });

  describe('claimAlert, completeAlert, releaseAlert', () => {
    it('claims under a lease unless a live lease or a done marker exists', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});

      // Act
      const claim = await store.claimAlert('insp-1', 90);

      // Assess
      expect(claim).toEqual({ claimed: true });
      expect(dynamo).toReceiveCommandExactlyOnceWith(PutCommand, {
        TableName: TABLE,
        Item: { pk: 'alert#insp-1', state: 'in-progress', leaseUntil: NOW + 90_000, expiresAt: NOW_S + 30 * DAY },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR (#state = :inProgress AND leaseUntil <= :nowMs)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':nowSeconds': NOW_S, ':nowMs': NOW, ':inProgress': 'in-progress' },
      });
    });

    it('reports a done alert with its outcome and a held one as in progress', async () => {
      // Prepare
      dynamo
        .on(PutCommand)
        .rejectsOnce(conditionFailed({ state: { S: 'done' }, outcome: { S: 'folded' } }))
        .rejectsOnce(conditionFailed({ state: { S: 'in-progress' }, leaseUntil: { N: String(NOW + 1) } }));

      // Act
      const done = await store.claimAlert('insp-1', 90);
      const held = await store.claimAlert('insp-1', 90);

      // Assess
      expect(done).toEqual({ claimed: false, state: 'done', outcome: 'folded' });
      expect(held).toEqual({ claimed: false, state: 'in-progress' });
    });

    it('completes unconditionally and releases only an in-progress lease, ignoring a done one', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({});
      dynamo.on(DeleteCommand).rejects(conditionFailed());

      // Act
      await store.completeAlert('insp-1', 'placed');
      await store.releaseAlert('insp-1');

      // Assess
      expect(dynamo).toReceiveCommandWith(PutCommand, {
        Item: { pk: 'alert#insp-1', state: 'done', outcome: 'placed', completedAt: NOW, expiresAt: NOW_S + 30 * DAY },
      });
      expect(dynamo).toReceiveCommandWith(DeleteCommand, {
        Key: { pk: 'alert#insp-1' },
        ConditionExpression: '#state = :inProgress',
        ExpressionAttributeValues: { ':inProgress': 'in-progress' },
      });
    });
  });

  describe('reopenAlert', () => {
    it('deletes the alert only when it ended without a call, and answers whether it did', async () => {
      // Prepare
      dynamo.on(DeleteCommand).resolvesOnce({}).rejectsOnce(conditionFailed());

      // Act
      const reopened = await store.reopenAlert('insp-1');
      const refused = await store.reopenAlert('insp-2');

      // Assess
      expect([reopened, refused]).toEqual([true, false]);
      expect(dynamo).toReceiveCommandWith(DeleteCommand, {
        TableName: TABLE,
        Key: { pk: 'alert#insp-1' },
        ConditionExpression: '#state = :done AND (outcome = :failed OR outcome = :capped)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':done': 'done', ':failed': 'failed', ':capped': 'capped' },
      });
    });
  });

  describe('tryStartCall', () => {
    const COOLDOWN = 300_000;

    it('starts a call when the cooldown is over, handing over and resetting the folded count in one write', async () => {
      // Prepare
      // The old item comes back: 3 folded, and which inspections they were.
      dynamo.on(UpdateCommand).resolves({ Attributes: { folded: 3, foldedIds: new Set(['insp-4', 'insp-5', 'insp-6']) } });

      // Act
      const decision = await store.tryStartCall('litho-7', 'insp-9', NOW, COOLDOWN);

      // Assess
      expect(decision).toEqual({ call: true, foldedCount: 3, foldedInspectionIds: ['insp-4', 'insp-5', 'insp-6'] });
      expect(dynamo).toReceiveCommandExactlyOnceWith(UpdateCommand, {
        TableName: TABLE,
        Key: { pk: 'station#litho-7' },
        UpdateExpression:
          'SET lastCallAt = :nowMs, lastCallInspectionId = :inspectionId, lastCallFoldedCount = if_not_exists(folded, :zero), ' +
          'lastCallUntoldCount = if_not_exists(folded, :zero) + :one, folded = :zero, expiresAt = :expiresAt REMOVE foldedIds, lastCallSummary, lastCallFoldedIds',
        ConditionExpression:
          '(attribute_not_exists(lastCallAt) OR lastCallAt <= :cutoff) AND (attribute_not_exists(lastCallInspectionId) OR lastCallInspectionId <> :inspectionId)',
        ExpressionAttributeValues: {
          ':nowMs': NOW,
          ':cutoff': NOW - COOLDOWN,
          ':inspectionId': 'insp-9',
          ':expiresAt': NOW_S + 300 + 7 * DAY,
          ':zero': 0,
          ':one': 1,
        },
        ReturnValues: 'ALL_OLD',
      });
    });

    it('folds the anomaly into the recent call with an atomic increment, once per inspection', async () => {
      // Prepare
      dynamo
        .on(UpdateCommand)
        .rejectsOnce(conditionFailed())
        .resolvesOnce({ Attributes: { folded: 4, lastCallInspectionId: 'insp-1', lastCallAt: NOW - 1000 } });

      // Act
      const decision = await store.tryStartCall('litho-7', 'insp-9', NOW, COOLDOWN);

      // Assess
      expect(decision).toEqual({ call: false, foldedCount: 4, activeCallInspectionId: 'insp-1', cooldownEndsAtMs: NOW - 1000 + COOLDOWN });
      expect(dynamo).toReceiveNthCommandWith(UpdateCommand, 2, {
        Key: { pk: 'station#litho-7' },
        UpdateExpression: 'ADD folded :one, foldedIds :inspectionIds SET expiresAt = :expiresAt',
        ConditionExpression: 'lastCallAt > :cutoff AND lastCallInspectionId <> :inspectionId AND NOT contains(foldedIds, :inspectionId)',
        ExpressionAttributeValues: {
          ':cutoff': NOW - COOLDOWN,
          ':inspectionId': 'insp-9',
          ':expiresAt': NOW_S + 300 + 7 * DAY,
          ':one': 1,
          ':inspectionIds': new Set(['insp-9']),
        },
      });
    });

    it('answers call again to the inspection that owns the current call', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({ Item: { lastCallInspectionId: 'insp-9', lastCallFoldedCount: 2 } });

      // Act
      const decision = await store.tryStartCall('litho-7', 'insp-9', NOW, COOLDOWN);

      // Assess
      expect(decision).toEqual({ call: true, foldedCount: 2 });
      expect(dynamo).toReceiveCommandWith(GetCommand, { Key: { pk: 'station#litho-7' }, ConsistentRead: true });
    });

    it('gives up with an error instead of looping forever when the station keeps changing', async () => {
      // Prepare
      dynamo.on(UpdateCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({ Item: { lastCallInspectionId: 'someone-else' } });

      // Act
      const decision = store.tryStartCall('litho-7', 'insp-9', NOW, COOLDOWN);

      // Assess
      await expect(decision).rejects.toThrow('kept changing');
      expect(dynamo).toReceiveCommandTimes(GetCommand, 4);
    });

    describe("remembering the station's call start (a burst of anomalies folds in one write)", () => {
      const START =
        '(attribute_not_exists(lastCallAt) OR lastCallAt <= :cutoff) AND (attribute_not_exists(lastCallInspectionId) OR lastCallInspectionId <> :inspectionId)';
      const FOLD = 'lastCallAt > :cutoff AND lastCallInspectionId <> :inspectionId AND NOT contains(foldedIds, :inspectionId)';

      /**
       * What the store sent, in order, from the `since`-th command on: 'start', 'fold', 'get', or another write's condition.
       * (Not dynamo.resetHistory(): it restarts the counts that the mocks' *Once answers go by.)
       */
      function sent(since = 0): string[] {
        return dynamo
          .calls()
          .slice(since)
          .map(({ args: [command] }) => {
            if (command instanceof GetCommand) return 'get';
            if (!(command instanceof UpdateCommand)) return command.constructor.name;
            const condition = command.input.ConditionExpression;
            return condition === START ? 'start' : condition === FOLD ? 'fold' : String(condition);
          });
      }

      it('folds a second anomaly of the station inside the cooldown with one write: the fold, without trying a start', async () => {
        // Prepare
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolvesOnce({ Attributes: {} }).rejects(conditionFailed());
        dynamo
          .on(UpdateCommand, { ConditionExpression: FOLD })
          .resolvesOnce({ Attributes: { folded: 1, foldedIds: new Set(['insp-2']), lastCallInspectionId: 'insp-1', lastCallAt: NOW } })
          .resolvesOnce({ Attributes: { folded: 2, foldedIds: new Set(['insp-2', 'insp-3']), lastCallInspectionId: 'insp-1', lastCallAt: NOW } });
        await store.tryStartCall('litho-7', 'insp-1', NOW, COOLDOWN);
        const since = dynamo.calls().length;

        // Act
        const second = await store.tryStartCall('litho-7', 'insp-2', NOW + 1_000, COOLDOWN);
        const third = await store.tryStartCall('litho-7', 'insp-3', NOW + 2_000, COOLDOWN);

        // Assess
        expect(second).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: 'insp-1', cooldownEndsAtMs: NOW + COOLDOWN });
        expect(third).toEqual({ call: false, foldedCount: 2, activeCallInspectionId: 'insp-1', cooldownEndsAtMs: NOW + COOLDOWN });
        expect(sent(since)).toEqual(['fold', 'fold']);
        expect(dynamo).toReceiveNthCommandWith(UpdateCommand, 2, {
          Key: { pk: 'station#litho-7' },
          UpdateExpression: 'ADD folded :one, foldedIds :inspectionIds SET expiresAt = :expiresAt',
          ExpressionAttributeValues: {
            ':cutoff': NOW + 1_000 - COOLDOWN,
            ':inspectionId': 'insp-2',
            ':expiresAt': Math.floor((NOW + 1_000) / 1000) + 300 + 7 * DAY,
            ':one': 1,
            ':inspectionIds': new Set(['insp-2']),
          },
          ReturnValues: 'ALL_NEW',
        });
      });

      it('tries the start first again once the remembered call is out of its cooldown', async () => {
        // Prepare
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolves({ Attributes: {} });
        dynamo.on(UpdateCommand, { ConditionExpression: FOLD }).rejects(conditionFailed());
        await store.tryStartCall('litho-7', 'insp-1', NOW, COOLDOWN);
        const since = dynamo.calls().length;

        // Act
        // Exactly one cooldown later: lastCallAt <= cutoff, the call is over.
        const next = await store.tryStartCall('litho-7', 'insp-2', NOW + COOLDOWN, COOLDOWN);

        // Assess
        expect(next).toEqual({ call: true, foldedCount: 0 });
        expect(sent(since)).toEqual(['start']);
      });

      it('still starts the call when the remembered call is gone (handed back elsewhere): fold refused, then start', async () => {
        // Prepare
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolves({ Attributes: { folded: 1, foldedIds: new Set(['insp-0']) } });
        dynamo.on(UpdateCommand, { ConditionExpression: FOLD }).rejects(conditionFailed());
        await store.tryStartCall('litho-7', 'insp-1', NOW, COOLDOWN);
        const since = dynamo.calls().length;

        // Act
        const decision = await store.tryStartCall('litho-7', 'insp-2', NOW + 1_000, COOLDOWN);

        // Assess
        expect(decision).toEqual({ call: true, foldedCount: 1, foldedInspectionIds: ['insp-0'] });
        expect(sent(since)).toEqual(['fold', 'start']);
        expect(dynamo).toReceiveNthCommandWith(UpdateCommand, 3, {
          Key: { pk: 'station#litho-7' },
          ConditionExpression: START,
          ExpressionAttributeValues: expect.objectContaining({ ':nowMs': NOW + 1_000, ':inspectionId': 'insp-2', ':cutoff': NOW + 1_000 - COOLDOWN }),
          ReturnValues: 'ALL_OLD',
        });
      });

      it('keeps folding idempotent per inspection: a redelivered fold is refused by its condition and answered the same', async () => {
        // Prepare
        const item = { folded: 1, foldedIds: new Set(['insp-2']), lastCallInspectionId: 'insp-1', lastCallAt: NOW };
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolvesOnce({ Attributes: {} }).rejects(conditionFailed());
        dynamo.on(UpdateCommand, { ConditionExpression: FOLD }).resolvesOnce({ Attributes: item }).rejects(conditionFailed());
        dynamo.on(GetCommand).resolves({ Item: item });
        await store.tryStartCall('litho-7', 'insp-1', NOW, COOLDOWN);
        const since = dynamo.calls().length;

        // Act
        const first = await store.tryStartCall('litho-7', 'insp-2', NOW + 1_000, COOLDOWN);
        const again = await store.tryStartCall('litho-7', 'insp-2', NOW + 2_000, COOLDOWN);

        // Assess
        expect(first).toEqual({ call: false, foldedCount: 1, activeCallInspectionId: 'insp-1', cooldownEndsAtMs: NOW + COOLDOWN });
        expect(again).toEqual(first);
        expect(sent(since)).toEqual(['fold', 'fold', 'start', 'get']);
        expect(dynamo).toReceiveNthCommandWith(UpdateCommand, 3, {
          ConditionExpression: FOLD,
          ExpressionAttributeValues: expect.objectContaining({ ':inspectionId': 'insp-2', ':inspectionIds': new Set(['insp-2']) }),
        });
      });

      it("remembers a call started by another container from a fold's answer and from the consistent read", async () => {
        // Prepare
        const other = { folded: 1, foldedIds: new Set(['insp-2']), lastCallInspectionId: 'insp-1', lastCallAt: NOW - 1_000 };
        dynamo.on(UpdateCommand, { ConditionExpression: START }).rejects(conditionFailed());
        // store's two folds, then readStore's redelivery (refused: already folded), then readStore's next fold.
        dynamo
          .on(UpdateCommand, { ConditionExpression: FOLD })
          .resolvesOnce({ Attributes: other })
          .resolvesOnce({ Attributes: other })
          .rejectsOnce(conditionFailed())
          .resolves({ Attributes: other });
        dynamo.on(GetCommand).resolves({ Item: other });
        const readStore = new DynamoDbAlertStateStore({
          client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
          tableName: TABLE,
          now: () => NOW,
        });

        // Act
        // This container never saw the call start: start first; the fold's ALL_NEW says when it started.
        await store.tryStartCall('litho-7', 'insp-2', NOW, COOLDOWN);
        await store.tryStartCall('litho-7', 'insp-3', NOW + 1_000, COOLDOWN);
        // A redelivery answered by the consistent read, in a container that knew nothing either.
        await readStore.tryStartCall('litho-7', 'insp-2', NOW, COOLDOWN);
        await readStore.tryStartCall('litho-7', 'insp-3', NOW + 1_000, COOLDOWN);

        // Assess
        expect(sent()).toEqual(['start', 'fold', 'fold', 'start', 'fold', 'get', 'fold']);
      });

      it('remembers the summary call a cooldown end started, and forgets the call a failure handed back', async () => {
        // Prepare
        dynamo
          .on(GetCommand)
          .resolves({ Item: { folded: 2, foldedIds: new Set(['insp-2', 'insp-3']), lastCallInspectionId: 'insp-1', lastCallAt: NOW - COOLDOWN } });
        dynamo.on(UpdateCommand, { ConditionExpression: 'folded = :count AND lastCallAt = :seen' }).resolves({});
        dynamo
          .on(UpdateCommand, { ConditionExpression: FOLD })
          .resolves({ Attributes: { folded: 1, foldedIds: new Set(['insp-4']), lastCallInspectionId: 'insp-3', lastCallAt: NOW } });
        dynamo.on(UpdateCommand, { ConditionExpression: 'lastCallInspectionId = :inspectionId' }).resolves({});
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolves({ Attributes: { folded: 1 } });

        // Act
        const summary = await store.tryStartFoldedCall('litho-7', NOW, COOLDOWN);
        const folded = await store.tryStartCall('litho-7', 'insp-4', NOW + 1_000, COOLDOWN);
        const handedBack = await store.recordCallFailed('litho-7', 'insp-3');
        const started = await store.tryStartCall('litho-7', 'insp-5', NOW + 2_000, COOLDOWN);

        // Assess
        expect(summary).toMatchObject({ call: true, leadInspectionId: 'insp-3' });
        expect(folded).toMatchObject({ call: false, activeCallInspectionId: 'insp-3' });
        expect(handedBack).toBe(true);
        expect(started).toEqual({ call: true, foldedCount: 1 });
        expect(sent()).toEqual(['get', 'folded = :count AND lastCallAt = :seen', 'fold', 'lastCallInspectionId = :inspectionId', 'start']);
      });

      it('lets other DynamoDB failures of the fold tried first through', async () => {
        // Prepare
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolves({ Attributes: {} });
        dynamo.on(UpdateCommand, { ConditionExpression: FOLD }).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
        await store.tryStartCall('litho-7', 'insp-1', NOW, COOLDOWN);

        // Act
        const decision = store.tryStartCall('litho-7', 'insp-2', NOW + 1_000, COOLDOWN);

        // Assess
        await expect(decision).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
      });

      it('remembers at most 1,000 stations, forgetting the oldest first', async () => {
        // Prepare
        dynamo.on(UpdateCommand, { ConditionExpression: START }).resolves({ Attributes: {} });
        dynamo.on(UpdateCommand, { ConditionExpression: FOLD }).resolves({ Attributes: { folded: 1, lastCallInspectionId: 'first', lastCallAt: NOW } });
        for (let station = 0; station <= 1_000; station += 1) await store.tryStartCall(`station-${station}`, 'first', NOW, COOLDOWN);
        const since = dynamo.calls().length;

        // Act
        await store.tryStartCall('station-0', 'second', NOW + 1_000, COOLDOWN);
        await store.tryStartCall('station-1000', 'second', NOW + 1_000, COOLDOWN);

        // Assess
        expect(sent(since)).toEqual(['start', 'fold']);
      });
    });
  });

  describe('recordCallFailed', () => {
    it('ends the cooldown only while this inspection owns the call', async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed());

      // Act
      const released = await store.recordCallFailed('litho-7', 'insp-9');
      const notOwner = await store.recordCallFailed('litho-7', 'insp-9');

      // Assess
      expect([released, notOwner]).toEqual([true, false]);
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        Key: { pk: 'station#litho-7' },
        UpdateExpression:
          'SET folded = folded + lastCallUntoldCount REMOVE lastCallAt, lastCallInspectionId, lastCallFoldedCount, lastCallUntoldCount, lastCallSummary, lastCallFoldedIds',
        ConditionExpression: 'lastCallInspectionId = :inspectionId',
        ExpressionAttributeValues: { ':inspectionId': 'insp-9' },
      });
    });
  });

  describe('reserveDailyCall', () => {
    it("reserves in the station's set, then in the day's ceiling set, each only below its cap (or when already in it), expiring three days after the day starts", async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolvesOnce({}).resolvesOnce({}).rejectsOnce(conditionFailed());
      const day = utcDay(new Date(NOW));

      // Act
      const granted = await store.reserveDailyCall({ dayUtc: day, stationId: 'litho-3', stationCap: 5, globalCap: 50, reservation: 'insp-9' });
      const refused = await store.reserveDailyCall({ dayUtc: day, stationId: 'litho-3', stationCap: 5, globalCap: 50, reservation: 'insp-10' });

      // Assess
      expect([granted, refused]).toEqual(['reserved', 'station-cap']);
      const condition = 'attribute_not_exists(inspections) OR size(inspections) < :cap OR contains(inspections, :inspectionId)';
      const expiresAt = Date.parse('2026-11-26T00:00:00Z') / 1000 + 3 * DAY;
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        Key: { pk: 'calls#2026-11-26#station#litho-3' },
        UpdateExpression: 'ADD inspections :inspection SET expiresAt = :expiresAt',
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':inspection': new Set(['insp-9']), ':inspectionId': 'insp-9', ':cap': 5, ':expiresAt': expiresAt },
      });
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        Key: { pk: 'calls#2026-11-26' },
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':inspection': new Set(['insp-9']), ':inspectionId': 'insp-9', ':cap': 50, ':expiresAt': expiresAt },
      });
    });

    it("takes the station's reservation back when the ceiling refuses", async () => {
      // Prepare
      dynamo.on(UpdateCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).resolvesOnce({});

      // Act
      const refused = await store.reserveDailyCall({ dayUtc: '2026-11-26', stationId: 'litho-3', stationCap: 5, globalCap: 50, reservation: 'insp-11' });

      // Assess
      expect(refused).toBe('global-cap');
      expect(dynamo).toReceiveCommandWith(UpdateCommand, {
        Key: { pk: 'calls#2026-11-26#station#litho-3' },
        UpdateExpression: 'DELETE inspections :inspection',
        ExpressionAttributeValues: { ':inspection': new Set(['insp-11']) },
      });
    });
  });
});

describe('utcDay', () => {
  it('is the UTC calendar day, not the local one', () => {
    // Act
    const day = utcDay(new Date('2026-11-26T23:30:00-05:00'));

    // Assess
    expect(day).toBe('2026-11-27');
  });
});
