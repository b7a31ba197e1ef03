import { describe, expect, it } from 'vitest';
import { createReviewInspectionHandler } from '../../../functions/adapters/http/review-inspection-route';
import { InspectionNotFoundError, MalformedRequestError } from '../../../functions/core/errors';
import type { InspectionRecord } from '../../../functions/core/inspection';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import { labelInspection } from '../../../functions/core/label-inspection';
import type { FeedbackImages } from '../../../functions/core/ports/feedback-images';
import { recordOperatorDecision } from '../../../functions/core/record-operator-decision';
import { apiEvent, lambdaContext, personAuthorizer } from '../../fixtures/api-events';
import { InMemoryInspectionStore, MemoryLogger } from '../../fixtures/fakes';

/** The feedback folder in memory: which copies exist. */
class MemoryFeedback implements FeedbackImages {
  readonly kept = new Map<string, string>();
  async keep(imageKey: string, feedbackKey: string) {
    this.kept.set(feedbackKey, imageKey);
  }
  async forget(feedbackKey: string) {
    this.kept.delete(feedbackKey);
  }
}

function anomalous(stationId = 'litho-3'): InspectionRecord {
  const inspectionId = newInspectionId();
  const at = '2026-11-30T06:00:00.000Z';
  return {
    inspectionId,
    stationId,
    source: 'api',
    status: 'anomalous',
    image: { key: `inspections/2026/11/30/${inspectionId}.jpg`, contentType: 'image/jpeg', sizeBytes: 10, width: 64, height: 64, sha256: inspectionId },
    alert: { status: 'queued', queuedAt: at },
    createdAt: at,
    updatedAt: at,
  };
}

describe('labelling inspections for training', () => {
  it("keeps an engineer's review on the record and the image in the station's folder for its verdict, moving it when relabelled", async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const feedback = new MemoryFeedback();
    const record = anomalous();
    await store.putRecord(record);
    const deps = { store, feedback, logger: new MemoryLogger(), now: () => new Date('2026-11-30T07:00:00.000Z') };

    // Act
    await labelInspection(deps, { inspectionId: record.inspectionId, verdict: 'anomalous', source: 'engineer-review', by: 'Erin' });
    const relabelled = await labelInspection(deps, {
      inspectionId: record.inspectionId,
      verdict: 'normal',
      source: 'engineer-review',
      by: 'Erin',
      note: 'glare',
    });

    // Assess
    expect(relabelled.label).toEqual({
      verdict: 'normal',
      source: 'engineer-review',
      by: 'Erin',
      at: '2026-11-30T07:00:00.000Z',
      note: 'glare',
      feedbackKey: `feedback/litho-3/normal/${record.inspectionId}.jpg`,
    });
    expect([...feedback.kept]).toEqual([[`feedback/litho-3/normal/${record.inspectionId}.jpg`, record.image.key]]);
  });

  it("labels from the operator's answer (keep: normal, scrap: a defect), which never replaces an engineer's review", async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const feedback = new MemoryFeedback();
    const [kept, scrapped, reviewed] = [anomalous(), anomalous(), anomalous()];
    for (const each of [kept, scrapped, reviewed]) await store.putRecord(each);
    const deps = { store, feedback, logger: new MemoryLogger() };
    await labelInspection(deps, { inspectionId: reviewed.inspectionId, verdict: 'anomalous', source: 'engineer-review', by: 'Erin' });

    // Act
    await recordOperatorDecision({ inspectionId: kept.inspectionId, contactId: 'c-1', key: '1' }, deps);
    await recordOperatorDecision({ inspectionId: scrapped.inspectionId, contactId: 'c-2', key: '2' }, deps);
    await recordOperatorDecision({ inspectionId: reviewed.inspectionId, contactId: 'c-3', key: '1' }, deps);

    // Assess
    expect((await store.getRecord(kept.inspectionId))?.label).toMatchObject({ verdict: 'normal', source: 'operator-call' });
    expect((await store.getRecord(scrapped.inspectionId))?.label).toMatchObject({ verdict: 'anomalous', source: 'operator-call' });
    expect((await store.getRecord(reviewed.inspectionId))?.label).toMatchObject({ verdict: 'anomalous', source: 'engineer-review' });
    expect((await store.getRecord(reviewed.inspectionId))?.decision).toMatchObject({ decision: 'keep' });
    expect([...feedback.kept.keys()].sort()).toEqual(
      [
        `feedback/litho-3/normal/${kept.inspectionId}.jpg`,
        `feedback/litho-3/anomalous/${scrapped.inspectionId}.jpg`,
        `feedback/litho-3/anomalous/${reviewed.inspectionId}.jpg`,
      ].sort(),
    );
  });

  it('refuses an unknown inspection, a verdict it does not know and a note over 500 characters', async () => {
    const deps = { store: new InMemoryInspectionStore(), feedback: new MemoryFeedback(), logger: new MemoryLogger() };
    await expect(labelInspection(deps, { inspectionId: newInspectionId(), verdict: 'normal', source: 'engineer-review', by: 'E' })).rejects.toThrow(
      InspectionNotFoundError,
    );
    await expect(labelInspection(deps, { inspectionId: newInspectionId(), verdict: 'maybe' as never, source: 'engineer-review', by: 'E' })).rejects.toThrow(
      MalformedRequestError,
    );
    await expect(
      labelInspection(deps, { inspectionId: newInspectionId(), verdict: 'normal', source: 'engineer-review', by: 'E', note: 'x'.repeat(501) }),
    ).rejects.toThrow(MalformedRequestError);
  });
});

describe('POST /inspections/{id}/review', () => {
  it('lets an engineer label an inspection, and refuses an operator 403 and a body without a verdict 400', async () => {
    // Prepare
    const store = new InMemoryInspectionStore();
    const feedback = new MemoryFeedback();
    const record = anomalous();
    await store.putRecord(record);
    const handler = createReviewInspectionHandler(() => ({ store, feedback, allowedOrigins: [], logger: new MemoryLogger() }));
    const review = (groups: string, body: string) =>
      handler(
        apiEvent({
          resource: '/inspections/{id}/review',
          pathParameters: { id: record.inspectionId },
          headers: { 'Content-Type': 'application/json' },
          body,
          requestContext: { requestId: 'r', authorizer: { claims: { ...personAuthorizer(groups, 'erin').claims, name: 'Erin Engineer' } } } as never,
        }),
        lambdaContext,
      );

    // Act
    const byOperator = await review('operator', '{"verdict":"normal"}');
    const malformed = await review('engineer', '{"note":"no verdict"}');
    const byEngineer = await review('engineer', '{"verdict":"normal","note":"reflection on the notch"}');

    // Assess
    expect([byOperator.statusCode, JSON.parse(byOperator.body).error.code]).toEqual([403, 'FORBIDDEN']);
    expect([malformed.statusCode, JSON.parse(malformed.body).error.code]).toEqual([400, 'MALFORMED_REQUEST']);
    expect(byEngineer.statusCode).toBe(200);
    expect(JSON.parse(byEngineer.body).label).toMatchObject({
      verdict: 'normal',
      source: 'engineer-review',
      by: 'Erin Engineer',
      note: 'reflection on the notch',
    });
  });
});
