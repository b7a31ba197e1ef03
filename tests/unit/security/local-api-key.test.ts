import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_API_KEY_RESPONSE, startLocalStack, type LocalStack } from '../../../local/local-stack';

// A throwaway project whose handler only says it ran: the key check sits in front of every handler.
const SERVERLESS_YML = `
service: api-key-probe
provider:
  name: aws
functions:
  list:
    handler: functions/list.handler
    events:
      - http: { path: inspections, method: get, private: true }
      - http: { path: 'inspections/{id}', method: get, private: true }
`;
const LIST_HANDLER = `export async function handler() { return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ran":true}' }; }`;
const API_KEY = 'local-test-key-0123456789abcdef';

describe('local stack with WAFERWATCH_API_KEY set', () => {
  let projectRoot: string;
  let stack: LocalStack;

  beforeAll(async () => {
    projectRoot = await mkdtemp(path.join(tmpdir(), 'waferwatch-api-key-'));
    await mkdir(path.join(projectRoot, 'functions'));
    await mkdir(path.join(projectRoot, 'static-site'));
    await writeFile(path.join(projectRoot, 'serverless.yml'), SERVERLESS_YML);
    await writeFile(path.join(projectRoot, 'functions/list.ts'), LIST_HANDLER);
    await writeFile(path.join(projectRoot, 'static-site/index.html'), '<!doctype html><title>probe</title>');
    process.env.WAFERWATCH_API_KEY = API_KEY;
    stack = await startLocalStack({ port: 0, projectRoot, dataDir: path.join(projectRoot, '.data'), env: { DETECTOR: 'lookoutvision' } });
  });

  afterAll(async () => {
    delete process.env.WAFERWATCH_API_KEY;
    await stack?.close();
    await rm(projectRoot, { recursive: true, force: true });
  });

  it('refuses API routes without the key, or with a wrong one, with the deployed 403 JSON and never runs the handler', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-api-key': 'wrong' },
      { 'x-api-key': `${API_KEY}x` },
      { 'x-api-key': API_KEY.slice(1) },
      { authorization: API_KEY },
    ];
    for (const headers of attempts) {
      for (const route of ['/inspections', '/inspections/01ABC']) {
        // Act
        const response = await fetch(`${stack.url}${route}`, { headers });

        // Assess
        expect(response.status, `${route} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual(MISSING_API_KEY_RESPONSE);
      }
    }
    expect(MISSING_API_KEY_RESPONSE.error.code).toBe('FORBIDDEN');
  });

  it("runs the route with the key in x-api-key, whatever the header's case", async () => {
    // Act
    const lower = await fetch(`${stack.url}/inspections`, { headers: { 'x-api-key': API_KEY } });
    const upper = await fetch(`${stack.url}/inspections/01ABC`, { headers: { 'X-API-Key': API_KEY } });

    // Assess
    expect(lower.status).toBe(200);
    expect(await lower.json()).toEqual({ ran: true });
    expect(upper.status).toBe(200);
  });

  it('serves the page and config.json without a key, and config.json hands the key to the page', async () => {
    // Act
    const page = await fetch(`${stack.url}/`);
    const config = await fetch(`${stack.url}/config.json`);

    // Assess
    expect(page.status).toBe(200);
    expect(config.status).toBe(200);
    expect(await config.json()).toMatchObject({ apiKey: API_KEY, local: true });
  });
});
