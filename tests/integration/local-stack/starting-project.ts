import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

// A throwaway project for the tests of requests sent while the local stack is starting: an echo function whose module
// takes a while to load (as the product's handlers do: the AWS SDK, sharp, the model), so the window between the port
// listening and the stack being ready is wide and certain.

const SERVERLESS_YML = `
service: starting-probe
provider:
  name: aws
  apiGateway:
    binaryMediaTypes: ['image/*', 'application/octet-stream']
functions:
  echo:
    handler: functions/echo.handler
    events:
      - http: { path: 'things/{id}', method: post }
      - http: { path: things, method: get }
`;

const echoHandler = (loadMs: number) => `
await new Promise((resolve) => setTimeout(resolve, ${loadMs}));
export async function handler(event) {
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: event.path, body: event.body, isBase64Encoded: event.isBase64Encoded }) };
}
`;

/** Write the probe project into a fresh temporary folder; its echo module takes `loadMs` to import. */
export async function writeStartingProject(loadMs: number): Promise<string> {
  const projectRoot = await mkdtemp(path.join(tmpdir(), 'waferwatch-starting-'));
  await mkdir(path.join(projectRoot, 'functions'));
  await mkdir(path.join(projectRoot, 'static-site'));
  await writeFile(path.join(projectRoot, 'serverless.yml'), SERVERLESS_YML);
  await writeFile(path.join(projectRoot, 'functions/echo.ts'), echoHandler(loadMs));
  await writeFile(path.join(projectRoot, 'static-site/index.html'), '<!doctype html><title>starting probe</title>');
  return projectRoot;
}

export interface SentRequest {
  /** When the request was sent and when its answer had fully arrived (performance.now()). */
  sentAt: number;
  answeredAt: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request (no retries, no connection pool), so nothing between the test and the server hides a hang. */
export function send(url: string, options: { method: string; headers?: Record<string, string | number>; body?: Buffer }): Promise<SentRequest> {
  const sentAt = performance.now();
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: options.method, headers: options.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ sentAt, answeredAt: performance.now(), status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
