import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';
import { send, writeStartingProject, type SentRequest } from './starting-project';

/**
 * A request sent while the local stack is starting waits for it, but not forever: past the wait it is answered 503
 * STARTING with Retry-After, and a start that fails answers 503 START_FAILED. Never silence.
 */
describe('requests sent while the local stack is starting, answered without it', () => {
  let projectRoot: string;
  let stack: LocalStack | undefined;

  beforeAll(async () => {
    // The echo module takes 2 s to import.
    projectRoot = await writeStartingProject(2_000);
  });

  afterAll(async () => {
    await stack?.close();
    await rm(projectRoot, { recursive: true, force: true });
  });

  it('answers 503 START_FAILED, with the reason, to a request waiting for a start that fails', async () => {
    // Prepare: a station registry file the import refuses, found only once the stand-ins are up
    const stationsFile = path.join(projectRoot, 'bad-stations.json');
    await writeFile(stationsFile, JSON.stringify({ stations: [{ id: 'litho-3', name: 'Litho three', escalation: [] }] }));
    let early: Promise<SentRequest> | undefined;

    // Act
    const started = startLocalStack({
      port: 0,
      projectRoot,
      dataDir: path.join(projectRoot, '.data-failed'),
      env: { DETECTOR: 'lookoutvision', POWERTOOLS_LOG_LEVEL: 'WARN', STATIONS_FILE: stationsFile, WAFERWATCH_AUTH: 'off' },
      onListening: (url) => {
        early = send(`${url}/things/1`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(64 * 1024, 1) });
      },
    });
    await expect(started).rejects.toThrow();
    const response = await early!;

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      error: { code: 'START_FAILED', message: expect.stringMatching(/^The local stack did not start: .*escalation/) },
    });
  });

  it('answers 503 STARTING with Retry-After to a request that waited longer than the wait, then serves once ready', async () => {
    // Prepare
    let early: Promise<SentRequest> | undefined;

    // Act
    stack = await startLocalStack({
      port: 0,
      projectRoot,
      dataDir: path.join(projectRoot, '.data'),
      env: { DETECTOR: 'lookoutvision', POWERTOOLS_LOG_LEVEL: 'WARN', WAFERWATCH_AUTH: 'off' },
      startingRequestWaitMs: 300,
      onListening: (url) => {
        early = send(`${url}/things`, { method: 'GET' });
      },
    });
    const refused = await early!;
    const later = await send(`${stack.url}/things`, { method: 'GET' });

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(refused.body.toString('utf8'))).toEqual({ error: { code: 'STARTING', message: expect.stringContaining('still starting') } });
    // Answered after the wait, long before the 2 s import ended.
    expect(refused.answeredAt - refused.sentAt).toBeGreaterThanOrEqual(290);
    expect(refused.answeredAt - refused.sentAt).toBeLessThan(1_500);
    expect(later.status).toBe(200);
  });
});
