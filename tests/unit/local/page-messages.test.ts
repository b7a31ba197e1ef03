import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../functions/core/errors';
import { callLabel, describeCallEnd } from '../../../local/phone/page/call-messages.js';
import { alertInProgress, alertLine, describeAlert, describeLadder } from '../../../static-site/alert-ladder.js';
import { alertHeadline, alertOpen, ladderSteps } from '../../../static-site/alerts.js';
import { statsWords } from '../../../static-site/charts.js';
import { historyQuery, matchesQuery } from '../../../static-site/history.js';
import {
  alreadyInspectedWords,
  batchFinalMessage,
  batchSummary,
  confidencePercent,
  decisionLine,
  decisionWords,
  describeError,
  durationWords,
  errorDetails,
  formatBytes,
  timeWords,
  verdictLabel,
} from '../../../static-site/messages.js';
import type { AlertView, CallOutcome, InspectionView, LadderAttempt } from '../../../static-site/types';

// Every code the API can answer with, plus the local gateway's own; `satisfies` keeps this list in step with errors.ts.
const API_CODES = [
  'MALFORMED_REQUEST',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_IMAGE_TYPE',
  'CORRUPT_IMAGE',
  'IMAGE_DIMENSIONS_OUT_OF_RANGE',
  'INSPECTION_NOT_FOUND',
  'ROUTE_NOT_FOUND',
  'ORIGIN_NOT_ALLOWED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'STATION_NOT_PERMITTED',
  'DETECTOR_UNAVAILABLE',
  'ALERT_QUEUE_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const satisfies readonly ErrorCode[];

describe('describeError', () => {
  it('has its own human message for every API error code, never the generic fallback', () => {
    // Prepare
    const fallback = describeError({ code: 'SOMETHING_NEW', message: 'x' }, 418, null);

    // Act
    const messages = [...API_CODES, 'STORAGE_UNAVAILABLE', 'PAYLOAD_TOO_LARGE', 'UNKNOWN_STATION', 'THROTTLED', 'QUOTA_EXCEEDED'].map((code) =>
      describeError({ code, message: 'server text' }, 400, null),
    );

    // Assess
    expect(fallback).toBe('The server could not do this right now. Try again; if it keeps happening, tell the line engineer.');
    expect(new Set(messages).size).toBe(messages.length);
    for (const message of messages) expect(message).not.toContain('HTTP');
  });

  it('fills in the limits and the saved inspection from the error details', () => {
    // Act
    const tooLarge = describeError({ code: 'IMAGE_TOO_LARGE', maxBytes: 4 * 1024 * 1024 }, 413, null);
    const dimensions = describeError({ code: 'IMAGE_DIMENSIONS_OUT_OF_RANGE', minSide: 64, maxSide: 4096 }, 422, null);
    const unavailable = describeError({ code: 'DETECTOR_UNAVAILABLE', inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }, 503, '30');
    const unknownStation = describeError({ code: 'UNKNOWN_STATION', stationId: 'litho-9' }, 422, null);

    // Assess
    expect(tooLarge).toContain('the limit is 4 MB');
    expect(dimensions).toContain('between 64 and 4096 pixels');
    expect(unavailable).toContain('saved as inspection 01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(unavailable).toContain('about 30 seconds');
    expect(unknownStation).toBe('Station litho-9 is not registered here. Check the station name and try again.');
  });

  it('explains answers that are not ours: no connection, no sign-in, no right, throttling, gateway timeouts', () => {
    // Act + Assess
    expect(describeError(undefined, 0, null)).toMatch(/could not be reached/);
    expect(describeError(undefined, 401, null)).toMatch(/Sign in again/);
    expect(describeError(undefined, 403, null)).toMatch(/may not do this/);
    expect(describeError(undefined, 403, null)).not.toMatch(/API key/);
    expect(describeError(undefined, 429, null)).toMatch(/Too many uploads/);
    expect(describeError(undefined, 504, null)).toMatch(/did not answer in time/);
  });
});

describe('page wording', () => {
  it('names verdicts, alerts, confidence and sizes the way the line speaks', () => {
    // Act + Assess
    expect(['normal', 'needs-review', 'anomalous', 'not-inspected'].map(verdictLabel)).toEqual(['Normal', 'Needs review', 'Anomalous', 'Not inspected']);
    expect(describeAlert({ status: 'placed' })).toBe('Operator called');
    expect(describeAlert({ status: 'placed', foldedCount: 3 })).toBe('Operator called (told of 3 more since the last call)');
    expect(describeAlert({ status: 'queued' })).toBe('Calling the operator…');
    expect(describeAlert({ status: 'folded', intoInspectionId: 'x' })).toMatch(/^No new call: the station was called minutes ago/);
    expect(describeAlert({ status: 'not-queued', reason: 'queue down' })).toBe('Call not queued: queue down');
    expect(describeAlert({ status: 'skipped', reason: 'duplicate' })).toBe('No call (the same image as an earlier inspection)');
    expect(describeAlert({ status: 'skipped', reason: 'below-threshold' })).toBe('No call (below threshold)');
    expect(describeAlert({ status: 'failed', reason: 'Amazon Connect throttled the request' })).toBe('Call failed: Amazon Connect throttled the request');
    expect(confidencePercent({ Confidence: 0.876 })).toBe(87);
    expect(confidencePercent({ Confidence: 0.996 })).toBe(99);
    expect(confidencePercent({ Confidence: 1.2 })).toBe(100);
    expect(confidencePercent(undefined)).toBeUndefined();
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatBytes(1536)).toBe('2 KB');
    expect([decisionWords('keep'), decisionWords('scrap'), decisionWords('hold'), decisionWords(undefined)]).toEqual([
      'keep manufacturing',
      'scrap',
      'hold',
      'decided',
    ]);
  });

  it("adds the operator's decision to the alert line when the ladder does not tell it, and follows alerts until they settle", () => {
    // Prepare
    const placed: AlertView = { status: 'placed' };
    const acknowledged: AlertView = { status: 'acknowledged', acknowledgedBy: { contactName: 'Line operator', decision: 'keep' } };

    // Act + Assess
    expect(alertLine({ alert: placed, decision: { decision: 'scrap' } })).toBe('Operator called · operator decided: scrap');
    expect(alertLine({ alert: acknowledged, decision: { decision: 'keep' } })).toBe('Acknowledged by Line operator: keep manufacturing');
    expect(alertLine({ alert: { status: 'skipped', reason: 'not-anomalous' } })).toBe('No call (normal)');
    expect((['queued', 'ringing', 'folded'] as const).map((status) => alertInProgress({ status } as AlertView))).toEqual([true, true, true]);
    expect(alertInProgress(acknowledged)).toBe(false);
    expect(alertInProgress(undefined)).toBe(false);
  });
});

describe('escalation ladder wording', () => {
  const attempt = (level: number, contactName: string, outcome: CallOutcome, extra: Partial<LadderAttempt> = {}): LadderAttempt => ({
    level,
    loop: 1,
    contactName,
    outcome,
    ...extra,
  });

  it('tells the ladder call by call, up to who acknowledged with which decision', () => {
    // Prepare
    const alert = {
      status: 'acknowledged',
      acknowledgedBy: { contactName: 'Shift lead', decision: 'scrap' },
      attempts: [attempt(1, 'Line operator', 'no-answer'), attempt(2, 'Shift lead', 'acknowledged')],
    } satisfies AlertView;

    // Act + Assess
    expect(describeAlert(alert)).toBe('Ringing level 1 (Line operator) → no answer → ringing level 2 (Shift lead) → acknowledged by Shift lead: scrap');
    expect(describeLadder({ ...alert, acknowledgedBy: { contactName: 'Shift lead', decision: 'keep' } })).toMatch(
      /acknowledged by Shift lead: keep manufacturing$/,
    );
  });

  it('says how each call of a level that rings several people went, and what is still ringing', () => {
    // Prepare
    const alert = {
      status: 'ringing',
      level: 2,
      loop: 1,
      attempts: [
        attempt(1, 'Day operator', 'busy'),
        attempt(1, 'Process engineer', 'ended-without-key'),
        attempt(1, 'Trainee', 'not-started', { reason: 'the number is outside the allowed prefixes' }),
        attempt(2, 'Shift lead', 'answered'),
      ],
    } satisfies AlertView;

    // Act + Assess
    expect(describeAlert(alert)).toBe(
      'Ringing level 1 (Day operator, Process engineer, Trainee) → Day operator: declined or busy, Process engineer: hung up without pressing a key, ' +
        'Trainee: could not be called (the number is outside the allowed prefixes) → ringing level 2 (Shift lead) → answered, deciding…',
    );
    expect(describeAlert({ status: 'ringing', level: 1, loop: 1, attempts: [] })).toBe('Ringing level 1');
  });

  it('says when the ladder went round again, and when nobody acknowledged', () => {
    // Prepare
    const alert = {
      status: 'unacknowledged',
      attempts: [attempt(1, 'Line operator', 'voicemail'), { ...attempt(1, 'Line operator', 'no-answer'), loop: 2 }],
    } satisfies AlertView;

    // Act + Assess
    expect(describeAlert(alert)).toBe(
      'Ringing level 1 (Line operator) → voicemail answered → ringing level 1 again (round 2) (Line operator) → no answer → nobody acknowledged after 2 rounds of calls',
    );
    expect(describeAlert({ status: 'unacknowledged', attempts: [attempt(1, 'Line operator', 'no-answer')] })).toMatch(
      /nobody acknowledged after one round of calls$/,
    );
  });

  it("names a folded anomaly acknowledged on another inspection's call, and a failed ladder", () => {
    // Act + Assess
    expect(
      describeAlert({
        status: 'acknowledged',
        viaInspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        acknowledgedBy: { contactName: 'Line operator', decision: 'keep' },
      }),
    ).toBe('Acknowledged by Line operator on the call about inspection 01ARZ3NDEKTSV4RRFFQ69G5FAV: keep manufacturing');
    expect(describeAlert({ status: 'failed', reason: 'the daily call cap was reached', attempts: [attempt(1, 'Line operator', 'not-started')] })).toBe(
      'Ringing level 1 (Line operator) → could not be called → call failed: the daily call cap was reached',
    );
  });

  it('labels a call by its rung of the ladder and says how it ended', () => {
    // Act + Assess
    expect(callLabel({ contactName: 'Shift lead', escalationLevel: '2', escalationLoop: '1' })).toBe('Level 2 · Shift lead');
    expect(callLabel({ contactName: 'Shift lead', escalationLevel: '2', escalationLoop: '2' })).toBe('Level 2 · Shift lead · round 2');
    expect(callLabel({ inspectionId: 'x' })).toBe('Operator');
    expect(describeCallEnd({ status: 'initiated' }, decisionWords)).toBeUndefined();
    expect(describeCallEnd({ status: 'answered' }, decisionWords)).toBeUndefined();
    expect(describeCallEnd({ status: 'no-answer' }, decisionWords)).toBe('no answer');
    expect(describeCallEnd({ status: 'declined' }, decisionWords)).toBe('declined');
    expect(describeCallEnd({ status: 'failed' }, decisionWords)).toBe('could not be connected');
    expect(describeCallEnd({ status: 'completed', decision: { status: 'recorded', decision: 'scrap' } }, decisionWords)).toBe('decided: scrap');
    expect(describeCallEnd({ status: 'completed', decision: { status: 'conflict', decision: 'keep' } }, decisionWords)).toBe(
      'already decided on another call: keep manufacturing',
    );
    expect(describeCallEnd({ status: 'completed', decision: { status: 'error', code: 'STORAGE_UNAVAILABLE' } }, decisionWords)).toBe(
      'the answer could not be recorded',
    );
    expect(describeCallEnd({ status: 'completed', disconnectReason: 'CUSTOMER_DISCONNECT' }, decisionWords)).toBe('hung up without pressing a key');
    expect(describeCallEnd({ status: 'completed', disconnectReason: 'CONTACT_FLOW_DISCONNECT' }, decisionWords)).toBe('no key pressed');
  });
});

describe('plain words for operators', () => {
  it('keeps codes and configuration names out of what the operator reads, and gives them to the engineer', () => {
    // Act
    const messages = [...API_CODES, 'STORAGE_UNAVAILABLE', 'PAYLOAD_TOO_LARGE', 'UNKNOWN_STATION', 'THROTTLED', 'QUOTA_EXCEEDED'].map((code) =>
      describeError({ code, message: 'server text' }, 400, null),
    );

    // Assess
    for (const message of messages) expect(message).not.toMatch(/config\.json|ALLOWED_ORIGINS|[A-Z]{3,}_[A-Z]{3,}/);
    expect(errorDetails({ code: 'UNSUPPORTED_IMAGE_TYPE', message: 'Only PNG or JPEG.' }, 415)).toBe('HTTP 415 · UNSUPPORTED_IMAGE_TYPE · Only PNG or JPEG.');
    expect(errorDetails(undefined, 0)).toBe('no answer (network)');
  });

  it('says when and where the same image was inspected, and durations as people say them', () => {
    // Prepare
    const now = new Date(2026, 11, 3, 9, 0);

    // Act + Assess
    expect(alreadyInspectedWords({ at: new Date(2026, 11, 3, 2, 58).toISOString(), stationId: 'litho-3' }, undefined, now)).toBe(
      'Already inspected at 02:58 on litho-3',
    );
    expect(alreadyInspectedWords({ at: new Date(2026, 11, 1, 2, 58).toISOString(), stationId: 'litho-3' }, () => 'Litho three', now)).toBe(
      'Already inspected at 1 Dec 02:58 on Litho three',
    );
    expect(timeWords('not a date')).toBe('an unknown time');
    expect([durationWords(42), durationWords(150), durationWords(5400), durationWords(null)]).toEqual(['42 s', '3 min', '1 h 30 min', '—']);
  });

  it("says who answered and what they chose, and an engineer's label", () => {
    // Act + Assess
    expect(decisionLine({ alert: { status: 'acknowledged', acknowledgedBy: { contactName: 'Shift lead', decision: 'scrap' } } })).toBe(
      'Shift lead chose scrap',
    );
    expect(decisionLine({ alert: { status: 'placed' }, decision: { decision: 'keep' } })).toBe('Operator chose keep manufacturing');
    expect(decisionLine({ alert: { status: 'skipped' }, label: { verdict: 'anomalous', source: 'engineer-review', by: 'Ada' } })).toBe(
      'Ada marked it a defect',
    );
    expect(decisionLine({ alert: { status: 'skipped' } })).toBe('');
  });
});

describe('batches', () => {
  const counts = (partial: Partial<Parameters<typeof batchSummary>[0]>) => ({
    normal: 0,
    anomalous: 0,
    'needs-review': 0,
    'not-inspected': 0,
    refused: 0,
    already: 0,
    waiting: 0,
    ...partial,
  });

  it('sums a batch up as it goes and ends with a message true to it', () => {
    // Act + Assess
    expect(batchSummary(counts({ normal: 2, anomalous: 1, refused: 1, waiting: 2 }))).toBe('2 normal · 1 anomalous · 1 refused · 2 waiting');
    expect(batchFinalMessage(counts({ normal: 2, anomalous: 1 }))).toBe('Done: all 3 files were inspected (2 normal, 1 anomalous).');
    expect(batchFinalMessage(counts({ normal: 1, anomalous: 1, refused: 1 }))).toBe('Done: 2 of 3 files inspected (1 normal, 1 anomalous); 1 refused.');
    expect(batchFinalMessage(counts({ refused: 3 }))).toBe('None of the 3 files could be inspected: all were refused. See each card for why.');
    expect(batchFinalMessage(counts({ refused: 1 }))).toBe('The file was refused and not inspected: see its card for why.');
    expect(batchFinalMessage(counts({ normal: 1, already: 1 }))).toBe('Done: the file was inspected (1 normal); 1 had been inspected before.');
    expect(batchFinalMessage(counts({ 'not-inspected': 1, refused: 1 }))).toMatch(/^Done: 0 of 2 files inspected; 1 kept but not inspected/);
    for (const refused of [1, 2, 5]) expect(batchFinalMessage(counts({ refused }))).not.toMatch(/uploaded|Done/);
  });
});

describe('open alerts', () => {
  const attempt = (level: number, contactName: string, outcome: CallOutcome, loop = 1): LadderAttempt => ({ level, loop, contactName, outcome });

  it('keeps every alert nobody acknowledged, and tells its ladder step by step', () => {
    // Prepare
    const ringing: AlertView = {
      status: 'ringing',
      level: 2,
      loop: 1,
      attempts: [attempt(1, 'Line operator', 'busy'), attempt(1, 'Trainee', 'no-answer'), attempt(2, 'Shift lead', 'ringing')],
    };

    // Act + Assess
    expect((['queued', 'ringing', 'unacknowledged'] as const).map((status) => alertOpen({ status } as AlertView))).toEqual([true, true, true]);
    expect((['acknowledged', 'folded', 'failed', 'skipped'] as const).map((status) => alertOpen({ status } as AlertView))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(alertHeadline(ringing, 3)).toBe('Ringing level 2 of 3');
    expect(alertHeadline({ ...ringing, loop: 2 }, 1)).toBe('Ringing level 2, round 2');
    expect(alertHeadline({ status: 'queued' }, 2)).toBe('Calling soon');
    expect(alertHeadline({ status: 'unacknowledged', attempts: [] }, 2)).toBe('Nobody answered');
    expect(ladderSteps(ringing)).toEqual([
      { level: 1, loop: 1, who: 'Line operator, Trainee', how: 'declined or busy, no answer', state: 'missed' },
      { level: 2, loop: 1, who: 'Shift lead', how: 'ringing now', state: 'current' },
    ]);
    expect(ladderSteps({ status: 'ringing', level: 1, loop: 1, attempts: [attempt(1, 'Line operator', 'answered')] })[0]?.how).toBe('on the phone, deciding…');
  });
});

describe('history filters', () => {
  const record = (extra: Partial<InspectionView>): InspectionView => ({
    inspectionId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
    stationId: 'litho-3',
    status: 'anomalous',
    createdAt: '2026-12-03T02:58:00.000Z',
    alert: { status: 'skipped', reason: 'not-anomalous' },
    ...extra,
  });

  it('asks the API for what is chosen, and shows no row that does not match (an API that does not filter yet)', () => {
    // Prepare
    const query = historyQuery({ station: 'litho-3', status: 'anomalous', decision: 'scrap', from: '2026-12-03', to: '2026-12-03' });

    // Act + Assess
    expect(query).toMatchObject({ limit: 20, station: 'litho-3', status: 'anomalous', decision: 'scrap' });
    expect(new Date(query.from!).getHours()).toBe(0);
    expect(matchesQuery(record({ decision: { decision: 'scrap' } }), query)).toBe(true);
    expect(matchesQuery(record({ decision: { decision: 'keep' } }), query)).toBe(false);
    expect(matchesQuery(record({ stationId: 'etch-1', decision: { decision: 'scrap' } }), query)).toBe(false);
    expect(matchesQuery(record({}), { decision: 'none' })).toBe(true);
    expect(matchesQuery(record({ createdAt: '2026-12-05T00:00:00.000Z' }), { to: '2026-12-04T00:00:00.000Z' })).toBe(false);
  });
});

describe('charts in words', () => {
  it("says a station's numbers for people who cannot see the chart", () => {
    // Act
    const words = statsWords(
      {
        stationId: 'litho-3',
        inspections: 12,
        anomalies: 1,
        calls: 1,
        acknowledged: 1,
        unacknowledged: 0,
        timeToAcknowledgeSeconds: { p50: 42, p95: 150 },
        buckets: [],
      },
      'the last shift (8 hours)',
    );

    // Assess
    expect(words).toBe(
      'In the last shift (8 hours): 12 wafers inspected, 1 anomaly, 1 call. 1 answered, 0 nobody answered. Half were answered within 42 s, nearly all (95%) within 3 min.',
    );
  });
});
