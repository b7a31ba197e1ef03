import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStart, type NpmStartProcess } from '../../helpers/npm-start-process';

// The "the stack restarted mid-ladder → the ladder continues", with the real npm start: level 1 rings, the
// whole stack is stopped and started again on the same data folder, and level 2 rings when the acknowledgement timeout
// (a delayed message on the alert queue, kept under .data/sqs) falls due. The camera of litho-3 sends the wafer and
// reads the record back with its seeded key (dev-credentials.json), which the restart keeps too.

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const STATIONS = {
  stations: [
    {
      id: 'litho-3',
      name: 'Litho three',
      escalation: [
        { name: 'Line operator', phone: '+15555550100' },
        { name: 'Shift lead', phone: '+15555550101' },
      ],
    },
  ],
};

interface CallView {
  contactId: string;
  status: string;
  attributes: Record<string, string>;
}

async function calls(url: string): Promise<CallView[]> {
  return ((await (await fetch(`${url}/_local/calls`)).json()) as { calls: CallView[] }).calls;
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

describe('npm start restarted in the middle of a ladder', () => {
  let dataDir: string;
  let stack: NpmStartProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-restart-'));
    const stationsFile = path.join(dataDir, 'stations.json');
    await writeFile(stationsFile, JSON.stringify(STATIONS));
    // A ring long enough that level 1 does not end on its own: only the timer moves the ladder.
    env = {
      WAFERWATCH_DATA_DIR: path.join(dataDir, 'data'),
      STATIONS_FILE: stationsFile,
      ACK_TIMEOUT_SECONDS: '6',
      RING_TIMEOUT_SECONDS: '120',
      OPERATOR_COUNTRY_PREFIXES: '+1',
    };
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('rings level 2 after the restart, at the timer level 1 set before it', async () => {
    // Prepare: an anomalous wafer on litho-3; level 1 rings
    stack = await startNpmStart(env);
    const credentials = JSON.parse(await readFile(path.join(env.WAFERWATCH_DATA_DIR as string, 'dev-credentials.json'), 'utf8')) as {
      cameraKeys: Array<{ apiKey: string; station: string }>;
    };
    const camera = { 'x-api-key': credentials.cameraKeys.find((key) => key.station === 'litho-3')!.apiKey };
    const scratch = await readFile(path.join(PROJECT_ROOT, 'samples/wafer-photos/anomalous/scratch.jpg'));
    const uploaded = await fetch(`${stack.url}/inspections`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg', 'X-Station-Id': 'litho-3', ...camera },
      body: scratch,
    });
    const inspection = (await uploaded.json()) as { inspectionId: string; status: string };
    const before = await eventually(
      () => calls(stack!.url),
      (list) => list.length === 1,
      20_000,
    );
    const readAlert = async () =>
      ((await (await fetch(`${stack!.url}/inspections/${inspection.inspectionId}`, { headers: camera })).json()) as { alert: { status: string } }).alert.status;
    await eventually(readAlert, (status) => status === 'ringing', 20_000);
    // placeCall puts the timer on the queue right after writing ringing: stop once it is there (in the queue file the
    // emulator keeps). A stop in the middle of a delivery would leave its message in flight for the queue's
    // visibility timeout, 180 s, before it is redone: also safe, but not what this test waits for.
    const queueFile = path.join(env.WAFERWATCH_DATA_DIR as string, 'sqs', 'queues.json');
    const timerQueued = await eventually(
      () => readFile(queueFile, 'utf8').catch(() => ''),
      (text) => text.includes('\\"kind\\":\\"escalate\\"'),
      20_000,
    );
    expect(timerQueued).toContain('escalate');

    // Act: stop everything, start again on the same data folder
    await stack.stop();
    stack = await startNpmStart(env);
    const after = await eventually(
      () => calls(stack!.url),
      (list) => list.some((call) => call.attributes.contactName === 'Shift lead'),
      60_000,
    );
    // The call starts a moment before place-call writes it on the record.
    type Alert = { status: string; level?: number; attempts?: Array<{ contactName: string }> };
    const readRecord = async () =>
      (await (await fetch(`${stack!.url}/inspections/${inspection.inspectionId}`, { headers: camera })).json()) as { alert: Alert };
    const record = await eventually(readRecord, (read) => read.alert.level === 2, 10_000);

    // Assess
    expect(uploaded.status).toBe(201);
    expect(inspection.status).toBe('anomalous');
    expect(before.map((call) => call.attributes.contactName)).toEqual(['Line operator']);
    expect(after.map((call) => [call.attributes.contactName, call.attributes.escalationLevel])).toEqual([['Shift lead', '2']]);
    expect(record.alert).toMatchObject({ status: 'ringing', level: 2 });
    expect(record.alert.attempts?.map((attempt) => attempt.contactName)).toEqual(['Line operator', 'Shift lead']);
  }, 150_000);
});
