import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStart, type NpmStartProcess } from '../../helpers/npm-start-process';

/** A plain grey wafer disc on a dark background, as a camera at the line would send it. */
async function waferJpeg(): Promise<Buffer> {
  const side = 256;
  const pixels = Buffer.alloc(side * side * 3);
  for (let y = 0; y < side; y += 1) {
    for (let x = 0; x < side; x += 1) {
      const inside = Math.hypot(x - side / 2, y - side / 2) < side * 0.43;
      pixels.fill(inside ? 150 + ((x * 7 + y * 3) % 16) : 25, (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(() => reject(new Error(`npm start did not exit within ${timeoutMs} ms`)), timeoutMs);
    // 'close', not 'exit': the last lines it printed are read by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe('npm start', () => {
  let child: ChildProcess;
  let dataDir: string;
  let url: string;
  let started: NpmStartProcess;
  const output = () => started.output();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-npm-start-'));
    // Sign-in off: the requests below are a script's, without credentials (npm-start-sign-in.test.ts has sign-in on).
    started = await startNpmStart({ WAFERWATCH_DATA_DIR: dataDir, WAFERWATCH_AUTH: 'off' });
    ({ child, url } = started);
  }, 60_000);

  afterAll(async () => {
    if (child.pid && processGroupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the API: a raw JPEG POSTed like curl --data-binary is inspected, stored and read back by id', async () => {
    // Prepare
    const image = await waferJpeg();

    // Act
    const created = await fetch(`${url}/inspections?station=npm-start-test`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: image,
    });
    const record = (await created.json()) as { inspectionId: string; status: string; image: { sizeBytes: number; width: number; contentType: string } };
    const fetched = await fetch(`${url}/inspections/${record.inspectionId}`);
    const readBack = (await fetched.json()) as typeof record & { stationId: string };

    // Assess
    expect(created.status, JSON.stringify(record)).toBe(201);
    expect(record.image).toMatchObject({ sizeBytes: image.byteLength, width: 256, contentType: 'image/jpeg' });
    expect(['normal', 'anomalous']).toContain(record.status);
    expect(fetched.status).toBe(200);
    expect(readBack).toMatchObject({ inspectionId: record.inspectionId, stationId: 'npm-start-test', status: record.status });
    // The objects landed in the data folder it was given, not in the repository's .data/.
    expect(await readdir(dataDir, { recursive: true })).toEqual(expect.arrayContaining([expect.stringContaining(record.inspectionId)]));
  });

  it('serves the page and its generated config.json', async () => {
    // Act
    const page = await fetch(url);
    const config = await fetch(`${url}/config.json`).then((response) => response.json());

    // Assess
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
    expect(config).toEqual({ apiBaseUrl: expect.stringMatching(/^http:\/\/(localhost|127\.0\.0\.1):\d+$/), auth: null, local: true });
  });

  it('stops cleanly on SIGTERM: the stack closes its servers, frees the port and no process is left behind', async () => {
    // Prepare
    const pid = child.pid!;

    // Act
    // To the whole process group (npm, its shell, tsx, node), as a terminal's Ctrl-C or a process supervisor does:
    // npm runs the script through `sh -c`, which would not pass a signal sent to npm alone on to the server.
    process.kill(-pid, 'SIGTERM');
    await waitForExit(child, 15_000);
    const groupGone = await eventually(() => !processGroupAlive(pid), 5_000);
    const portRefused = await fetch(url).then(
      () => false,
      () => true,
    );

    // Assess
    expect(output()).toContain('SIGTERM: stopping');
    expect(output()).toContain('local stack stopped');
    expect(output()).not.toContain('did not stop within');
    // Node 22 (the project's own node package): the AWS SDK has no end-of-support warning to print.
    expect(output()).not.toContain('NodeVersionSupportWarning');
    expect(groupGone).toBe(true);
    expect(portRefused).toBe(true);
  });
});
