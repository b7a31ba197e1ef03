import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

/**
 * Issue 15 through the local stack (the routes of serverless.yml, the deployed handlers, s3rver): the history paged
 * with a cursor and filters, the stats, the same image again, and the original Lookout sample's clients (a JSON data
 * URL sent as text/plain, and POST /detect-anomalies answered in DetectAnomalies' shape).
 */
describe('local stack: the history, the stats and the original sample clients', () => {
  let folder: string;
  let stack: LocalStack;
  let photos = 0;
  const another = async () => (await makeTestWaferImage({ format: 'jpeg', width: 150 + (photos += 1), height: 150 })).bytes;
  const upload = (bytes: Buffer, station: string) =>
    fetch(`${stack.url}/inspections?station=${station}`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: bytes });

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-history-'));
    stack = await startLocalStack({ port: 0, dataDir: path.join(folder, '.data'), env: { POWERTOOLS_LOG_LEVEL: 'WARN', WAFERWATCH_AUTH: 'off' } });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('pages GET /inspections newest first with a cursor and a station filter, nextCursor null on the last page', async () => {
    // Prepare: seven uploads, alternating two stations.
    const ids: Array<{ id: string; station: string }> = [];
    for (let index = 0; index < 7; index += 1) {
      const station = index % 2 === 0 ? 'litho-3' : 'etch-1';
      const response = await upload(await another(), station);
      expect(response.status).toBe(201);
      ids.push({ id: ((await response.json()) as { inspectionId: string }).inspectionId, station });
    }
    const expected = ids
      .filter((entry) => entry.station === 'litho-3')
      .map((entry) => entry.id)
      .reverse();

    // Act
    const pages: Array<{ inspections: Array<{ inspectionId: string; stationId: string }>; nextCursor: string | null }> = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ station: 'litho-3', limit: '3', ...(cursor ? { cursor } : {}) });
      const response = await fetch(`${stack.url}/inspections?${query.toString()}`);
      expect(response.status).toBe(200);
      pages.push((await response.json()) as (typeof pages)[number]);
      cursor = pages.at(-1)!.nextCursor;
    } while (cursor !== null && pages.length < 10);
    const bad = await fetch(`${stack.url}/inspections?decision=perhaps`);

    // Assess
    expect(pages.flatMap((page) => page.inspections.map((record) => record.inspectionId))).toEqual(expected);
    expect(pages[0]!.inspections).toHaveLength(3);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; parameter: string } }).error).toMatchObject({ code: 'MALFORMED_REQUEST', parameter: 'decision' });
  }, 120_000);

  it('answers the same image again 200 with alreadyInspected, and counts the day in GET /stats', async () => {
    // Prepare
    const bytes = await another();
    const first = (await (await upload(bytes, 'cmp-2')).json()) as { inspectionId: string; createdAt: string };

    // Act
    const again = await upload(bytes, 'cmp-2');
    const stats = await fetch(`${stack.url}/stats?window=day&station=cmp-2`);

    // Assess
    expect(again.status).toBe(200);
    expect(((await again.json()) as { alreadyInspected: unknown }).alreadyInspected).toEqual({
      inspectionId: first.inspectionId,
      at: first.createdAt,
      stationId: 'cmp-2',
    });
    expect(stats.status).toBe(200);
    const body = (await stats.json()) as {
      window: string;
      bucketMinutes: number;
      partial: boolean;
      stations: Array<{ stationId: string; inspections: number; buckets: unknown[] }>;
    };
    expect(body).toMatchObject({ window: 'day', bucketMinutes: 60, partial: false, stations: [{ stationId: 'cmp-2', inspections: 1 }] });
    expect(body.stations[0]!.buckets).toHaveLength(24);
  }, 120_000);

  it("serves the original sample page's request: a JSON data URL as text/plain, read at the top of the answer, on both routes", async () => {
    // Prepare: what $.ajax({ type: 'POST', data: JSON.stringify({ image: dataUrl }), contentType: 'text/plain' }) sends.
    const dataUrl = `data:image/jpeg;base64,${(await another()).toString('base64')}`;
    const send = (route: string) =>
      fetch(`${stack.url}${route}`, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ image: dataUrl }) });

    // Act
    const compat = await send('/detect-anomalies');
    const compatAnswer = (await compat.json()) as Record<string, any>;
    const inspections = await send('/inspections');
    const inspectionsAnswer = (await inspections.json()) as Record<string, any>;
    const noContentType = await fetch(`${stack.url}/detect-anomalies`, { method: 'POST', body: new Blob([JSON.stringify({ image: dataUrl })]) });

    // Assess: the page reads response.IsAnomalous and response.Confidence.
    expect(compat.status).toBe(200);
    expect(typeof compatAnswer.IsAnomalous).toBe('boolean');
    expect(typeof compatAnswer.Confidence).toBe('number');
    expect(compatAnswer.DetectAnomalyResult).toMatchObject({
      Source: { Type: 'direct' },
      IsAnomalous: compatAnswer.IsAnomalous,
      Confidence: compatAnswer.Confidence,
    });
    expect(compatAnswer.inspectionId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    // The same bytes on POST /inspections: the inspection the compatibility route made, seen before.
    expect(inspections.status).toBe(200);
    expect(inspectionsAnswer).toMatchObject({
      inspectionId: compatAnswer.inspectionId,
      IsAnomalous: compatAnswer.IsAnomalous,
      Confidence: compatAnswer.Confidence,
      alreadyInspected: { inspectionId: compatAnswer.inspectionId },
    });
    expect(noContentType.status).toBe(200);
    expect(((await noContentType.json()) as { inspectionId: string }).inspectionId).toBe(compatAnswer.inspectionId);
  }, 120_000);
});
