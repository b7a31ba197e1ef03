import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, type SentRequest } from './starting-project';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const LISTENING_LINE = /\[local\] listening at (http:\/\/\S+?);/;
const READY_LINE = /waferwatch is running at (http:\/\/\S+)/;

const TABLET_ORIGIN = 'http://tablet.example:8080';

/**
 * The real `npm start`, with a browser's page load and a camera's upload sent the moment the port listens, seconds
 * before the stack says it is running (the handler modules, the AWS SDK, sharp and the model are still loading): both
 * are answered once it is ready, as if they had been sent then. And settings of README's Configuration table given in
 * the shell reach the handlers.
 */
describe('npm start: requests sent before it is ready, and settings from the shell', () => {
  let child: ChildProcess;
  let dataDir: string;
  let output = '';
  let readyBeforeSending: boolean;
  let answers: [SentRequest, SentRequest];
  let image: Buffer;
  let url: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-npm-start-early-'));
    image = await readFile(path.join(PROJECT_ROOT, 'samples/wafer-photos/good/120_wafer.jpg'));
    child = spawn('npm', ['start', '--silent'], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        PORT: '0',
        POWERTOOLS_LOG_LEVEL: 'WARN',
        WAFERWATCH_DATA_DIR: dataDir,
        // Requests without credentials, as a script sends them (the access checks have their own tests).
        WAFERWATCH_AUTH: 'off',
        ALLOWED_ORIGINS: TABLET_ORIGIN,
        CAMERA_MAX_IMAGE_BYTES: '1000000',
        UPLOAD_URL_EXPIRY_SECONDS: '60',
        // The stack's own wiring is not taken from the shell.
        SQS_ENDPOINT: 'http://127.0.0.1:9',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening at" line within 45 s; output:\n${output}`)), 45_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const listening = LISTENING_LINE.exec(output);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}; output:\n${output}`)));
    });
    readyBeforeSending = READY_LINE.test(output);
    answers = await Promise.all([
      send(`${url}/`, { method: 'GET' }),
      send(`${url}/inspections?station=early-bird`, { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body: image }),
    ]);
  }, 60_000);

  afterAll(async () => {
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers a page load and an upload sent as soon as the port listened, once the stack is ready', () => {
    // Prepare
    const [page, upload] = answers;

    // Assess
    expect(readyBeforeSending).toBe(false);
    expect(output).toMatch(READY_LINE);
    expect(page.status).toBe(200);
    expect(page.body.toString('utf8')).toContain('<script type="module" src="app.js"></script>');
    expect(upload.status, upload.body.toString('utf8')).toBe(201);
    expect(JSON.parse(upload.body.toString('utf8'))).toMatchObject({ stationId: 'early-bird', image: { sizeBytes: image.byteLength } });
    expect(output).toContain('request(s) sent while the stack was starting are served now');
  });

  it('hands ALLOWED_ORIGINS (on top of its own origins), CAMERA_MAX_IMAGE_BYTES and UPLOAD_URL_EXPIRY_SECONDS from the shell to the handlers', async () => {
    // Act
    const preflight = (origin: string) =>
      fetch(`${url}/inspections`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    const tablet = await preflight(TABLET_ORIGIN);
    const own = await preflight(new URL(url).origin);
    const stranger = await preflight('http://elsewhere.example');
    const before = Date.now();
    const granted = await fetch(`${url}/uploads?station=early-bird`, { method: 'POST' });
    const grant = (await granted.json()) as { upload: { maxBytes: number; expiresAt: string } };

    // Assess
    expect(tablet.headers.get('access-control-allow-origin')).toBe(TABLET_ORIGIN);
    expect(own.headers.get('access-control-allow-origin')).toBe(new URL(url).origin);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(granted.status).toBe(201);
    expect(grant.upload.maxBytes).toBe(1_000_000);
    const lifetimeSeconds = (Date.parse(grant.upload.expiresAt) - before) / 1000;
    expect(lifetimeSeconds).toBeGreaterThan(55);
    expect(lifetimeSeconds).toBeLessThanOrEqual(61);
  });
});
