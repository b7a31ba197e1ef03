import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';
import { send, writeStartingProject, type SentRequest } from './starting-project';

/**
 * The port listens before the stand-ins are up and the handlers loaded. Requests sent in that window (a browser
 * reloading the page as `npm start` comes up, a camera retrying) wait for the stack and are then served as usual.
 */
describe('requests sent while the local stack is starting', () => {
  let projectRoot: string;
  let stack: LocalStack;
  let readyAt: number;
  let early: Promise<[SentRequest, SentRequest, SentRequest]> | undefined;
  const logLines: string[] = [];

  beforeAll(async () => {
    // The echo module takes 1.5 s to import: the stack is certainly not ready when the requests go out.
    projectRoot = await writeStartingProject(1_500);
    stack = await startLocalStack({
      port: 0,
      projectRoot,
      dataDir: path.join(projectRoot, '.data'),
      env: { DETECTOR: 'lookoutvision', POWERTOOLS_LOG_LEVEL: 'WARN', ALERT_MAX_ATTEMPTS: '7', WAFERWATCH_AUTH: 'off' },
      log: (line) => logLines.push(line),
      onListening: (url) => {
        early = Promise.all([
          send(`${url}/`, { method: 'GET' }),
          send(`${url}/config.json`, { method: 'GET' }),
          send(`${url}/things/7`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]) }),
        ]);
      },
    });
    readyAt = performance.now();
  });

  afterAll(async () => {
    await stack?.close();
    await rm(projectRoot, { recursive: true, force: true });
  });

  it('holds them until the stack is ready, then answers each: the page, config.json and an API call with its body intact', async () => {
    // Act
    expect(early).toBeDefined();
    const [page, config, upload] = await early!;

    // Assess
    for (const response of [page, config, upload]) {
      expect(response.sentAt).toBeLessThan(readyAt);
      expect(response.answeredAt).toBeGreaterThanOrEqual(readyAt);
    }
    expect(page.status).toBe(200);
    expect(page.body.toString('utf8')).toContain('<title>starting probe</title>');
    expect(JSON.parse(config.body.toString('utf8'))).toEqual({ apiBaseUrl: stack.url, auth: null, local: true });
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body.toString('utf8'))).toEqual({
      path: '/things/7',
      body: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]).toString('base64'),
      isBase64Encoded: true,
    });
    expect(logLines).toContain('3 request(s) sent while the stack was starting are served now');
  });

  it('serves requests as usual once ready', async () => {
    // Act
    const response = await send(`${stack.url}/things`, { method: 'GET' });

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString('utf8'))).toMatchObject({ path: '/things' });
  });

  it("says at start that an ALERT_MAX_ATTEMPTS above the local alert queue's maxReceiveCount is cut short by the queue", () => {
    // Assess
    expect(stack.env.ALERT_MAX_ATTEMPTS).toBe('7');
    expect(logLines.some((line) => line.startsWith("ALERT_MAX_ATTEMPTS=7 is above the local alert queue's maxReceiveCount (5)"))).toBe(true);
  });
});
