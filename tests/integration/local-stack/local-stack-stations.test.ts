import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../../local/local-stack';

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

/**
 * STATIONS_FILE: the local stack creates the station registry table beside the alert state table, fills it from the
 * file through local/station-registry-seed.ts, and points the handlers at it; a file that is missing or does not pass
 * the import's checks stops the start.
 */
describe('local stack with a STATIONS_FILE', () => {
  let folder: string;
  let stack: LocalStack | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), 'waferwatch-stations-'));
  });

  afterAll(async () => {
    await stack?.close();
    await rm(folder, { recursive: true, force: true });
  });

  const start = (stationsFile: string, extra: Record<string, string> = {}) =>
    startLocalStack({
      port: 0,
      dataDir: path.join(folder, '.data'),
      env: { POWERTOOLS_LOG_LEVEL: 'WARN', STATIONS_FILE: stationsFile, WAFERWATCH_AUTH: 'off', ...extra },
    });

  it('refuses to start when the file does not exist, naming where a relative path was looked for', async () => {
    // Act + Assess
    await expect(start('no-such-stations.json')).rejects.toThrow(
      new RegExp(`STATIONS_FILE ${path.join(process.cwd(), 'no-such-stations.json')} does not exist`),
    );
  });

  it('refuses to start on a file whose numbers are outside OPERATOR_COUNTRY_PREFIXES', async () => {
    // Prepare
    const file = path.join(folder, 'abroad.json');
    await writeFile(file, JSON.stringify({ stations: [{ ...STATIONS.stations[0], escalation: [{ name: 'Line operator', phone: '+447700900100' }] }] }));

    // Act + Assess
    await expect(start(file, { OPERATOR_COUNTRY_PREFIXES: '+1' })).rejects.toThrow(/outside the allowed prefixes/);
  });

  it('creates and fills the station registry table from a path relative to the working directory, and sets STATION_REGISTRY_TABLE', async () => {
    // Prepare
    const file = path.join(folder, 'stations.json');
    await writeFile(file, JSON.stringify(STATIONS));

    // Act
    stack = await start(path.relative(process.cwd(), file), { RING_TIMEOUT_SECONDS: '45' });
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: stack.env.DYNAMODB_ENDPOINT,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const scanned = await client.send(new ScanCommand({ TableName: stack.env.STATION_REGISTRY_TABLE }));
    client.destroy();

    // Assess
    expect(stack.env).toMatchObject({ STATION_REGISTRY_TABLE: 'waferwatch-local-stations', STATIONS_FILE: file, RING_TIMEOUT_SECONDS: '45' });
    expect(process.env.STATION_REGISTRY_TABLE).toBe('waferwatch-local-stations');
    expect(scanned.Items?.map((item) => item.stationId?.S)).toEqual(['litho-3']);
  });
});
