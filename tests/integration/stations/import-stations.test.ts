import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importStations } from '../../../deploy/import-stations';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry } from '../../../functions/adapters/dynamodb/dynamodb-station-registry';
import { parseStationRegistry, StationRegistryError } from '../../../functions/core/station-registry';
import { startDynamoDbEmulator, type DynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';
import { runProjectCommand, type CommandResult } from '../../helpers/project-command';

// `npm run stations:import` against dynalite: the import function the command and the local stack use, the command
// itself in its own process, and the registry adapter reading back what was imported.
const PREFIXES = ['+1'];
const T0 = Date.parse('2026-11-26T12:00:00Z');

let emulator: DynamoDbEmulator;
let documents: ReturnType<typeof toDocumentClient>;
let directory: string;
let unique = 0;
let tablesUsed = 0;
const TABLES = Array.from({ length: 10 }, (_, index) => `waferwatch-stations-${index}`);

/** A table of its own per test (created empty at start), so the tests share one emulator without sharing stations. */
function freshTable(): string {
  const table = TABLES[tablesUsed];
  tablesUsed += 1;
  if (!table) throw new Error('Add a table to TABLES');
  return table;
}

function litho(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'litho-3',
    name: 'Litho three',
    escalation: [
      { name: 'Line operator', phone: '+15555550100' },
      { name: 'Shift lead', phone: '+15555550101' },
    ],
    ...overrides,
  };
}

function etch(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'etch-1',
    name: 'Etch one',
    cooldownSeconds: 600,
    escalation: [{ name: 'Etch operators', contacts: [{ name: 'Day operator', phone: '+15555550110' }] }],
    ...overrides,
  };
}

/** Write a registry file; resolves with its path. */
async function registryFile(value: unknown): Promise<string> {
  unique += 1;
  const file = path.join(directory, `stations-${unique}.json`);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

/** The table's items by station id. */
async function itemsOf(tableName: string): Promise<Record<string, Record<string, unknown>>> {
  const { Items = [] } = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Object.fromEntries(Items.map((item) => [String(item.stationId), item]));
}

/** Import a file with the command's function, as `npm run stations:import -- --file F --table T --endpoint URL [--replace]` does. */
function importFile(file: string, tableName: string, replace = false) {
  return importStations({ file, tableName, region: 'us-east-1', endpoint: emulator.endpoint, allowedPrefixes: PREFIXES, replace });
}

/** Run the command in its own process, as an engineer would. */
function runCommand(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runProjectCommand('deploy/import-stations.ts', args, { OPERATOR_COUNTRY_PREFIXES: '+1', STATION_REGISTRY_TABLE: '', ...env });
}

beforeAll(async () => {
  emulator = await startDynamoDbEmulator({ tables: TABLES.map((name) => ({ name, partitionKey: 'stationId' })) });
  documents = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));
  directory = await mkdtemp(path.join(tmpdir(), 'waferwatch-stations-'));
});

afterAll(async () => {
  documents?.destroy();
  await emulator?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('importStations (the stations:import command)', () => {
  it('creates, updates, leaves alone and (with --replace) removes stations, counting each station version up', async () => {
    // Prepare
    const table = freshTable();
    const first = await registryFile({ stations: [litho(), etch()] });
    const edited = await registryFile({ stations: [litho({ name: 'Litho three east' }), etch()] });
    const onlyLitho = await registryFile({ stations: [litho({ name: 'Litho three east' })] });

    // Act
    const created = await importFile(first, table);
    const updated = await importFile(edited, table);
    const unchanged = await importFile(edited, table);
    const withoutReplace = await importFile(onlyLitho, table);
    const replaced = await importFile(onlyLitho, table, true);

    // Assess
    expect(created).toEqual({ created: ['litho-3', 'etch-1'], updated: [], unchanged: [], removed: [] });
    expect(updated).toEqual({ created: [], updated: ['litho-3'], unchanged: ['etch-1'], removed: [] });
    expect(unchanged).toEqual({ created: [], updated: [], unchanged: ['litho-3', 'etch-1'], removed: [] });
    expect(withoutReplace).toEqual({ created: [], updated: [], unchanged: ['litho-3'], removed: [] });
    expect(replaced).toEqual({ created: [], updated: [], unchanged: ['litho-3'], removed: ['etch-1'] });
    const items = await itemsOf(table);
    expect(Object.keys(items)).toEqual(['litho-3']);
    expect(items['litho-3']).toMatchObject({ version: 2, definition: parseStationRegistry({ stations: [litho({ name: 'Litho three east' })] }, PREFIXES)[0] });
    expect(Date.parse(String(items['litho-3']!.updatedAt))).not.toBeNaN();
  });

  it('counts versions per station: three edits of one station make version 4, the untouched one stays at 1', async () => {
    // Prepare
    const table = freshTable();
    await importFile(await registryFile({ stations: [litho(), etch()] }), table);

    // Act
    for (const cooldownSeconds of [60, 120, 180]) await importFile(await registryFile({ stations: [litho({ cooldownSeconds }), etch()] }), table);

    // Assess
    const items = await itemsOf(table);
    expect(items['litho-3']).toMatchObject({ version: 4, definition: { cooldownSeconds: 180 } });
    expect(items['etch-1']).toMatchObject({ version: 1 });
  });

  it('writes nothing from a file with any problem, and names each problem', async () => {
    // Prepare
    const table = freshTable();
    await importFile(await registryFile({ stations: [litho()] }), table);
    const before = await itemsOf(table);
    const outsidePrefixes = await registryFile({
      stations: [litho({ name: 'Litho renamed' }), etch({ escalation: [{ name: 'Abroad', phone: '+447700900123' }] })],
    });
    const notJson = await registryFile('{"stations": [');

    // Act
    const refused = await importFile(outsidePrefixes, table, true).catch((error: unknown) => error);
    const unreadable = await importFile(notJson, table, true).catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(StationRegistryError);
    expect((refused as StationRegistryError).problems).toEqual(['stations.1.escalation.0.phone: the number is outside the allowed prefixes (+1)']);
    expect(unreadable).toBeInstanceOf(StationRegistryError);
    expect((unreadable as StationRegistryError).problems).toEqual([expect.stringContaining('is not JSON')]);
    expect(await itemsOf(table)).toEqual(before);
  });
});

describe('npm run stations:import, in its own process', () => {
  it('imports a file into the named table and exits 0', async () => {
    // Prepare
    const table = freshTable();
    const file = await registryFile({ stations: [litho(), etch()] });

    // Act
    const run = await runCommand(['--file', file, '--table', table, '--endpoint', emulator.endpoint]);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`into ${table}: created 2, updated 0, unchanged 0, removed 0.`);
    const items = await itemsOf(table);
    expect(Object.keys(items).sort()).toEqual(['etch-1', 'litho-3']);
    expect(items['litho-3']).toMatchObject({
      version: 1,
      definition: {
        name: 'Litho three',
        escalation: [{ contacts: [{ name: 'Line operator', phone: '+15555550100' }] }, { contacts: [{ name: 'Shift lead' }] }],
      },
    });
  });

  it('refuses a number outside OPERATOR_COUNTRY_PREFIXES with exit code 1, naming the problem and writing nothing', async () => {
    // Prepare
    const table = freshTable();
    const file = await registryFile({
      stations: [
        litho({
          escalation: [
            { name: 'Line operator', phone: '+15555550100' },
            { name: 'Abroad', phone: '+882123456789' },
          ],
        }),
      ],
    });

    // Act
    const run = await runCommand(['--file', file, '--table', table, '--endpoint', emulator.endpoint, '--replace']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The station registry file was not imported:');
    expect(run.stderr).toContain('stations.0.escalation.1.phone: the number is outside the allowed prefixes (+1)');
    expect(await itemsOf(table)).toEqual({});
  });

  it('checks a file without writing it with --dry-run', async () => {
    // Prepare
    const table = freshTable();
    const file = await registryFile({ stations: [litho(), etch()] });

    // Act
    const run = await runCommand(['--file', file, '--table', table, '--endpoint', emulator.endpoint, '--dry-run']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('2 station(s) valid (litho-3, etch-1); nothing written (--dry-run).');
    expect(await itemsOf(table)).toEqual({});
  });
});

describe('DynamoDbStationRegistry reading stations back', () => {
  it('keeps a station read (or found missing) for cacheSeconds, then reads it again', async () => {
    // Prepare
    const table = freshTable();
    let now = T0;
    const registry = new DynamoDbStationRegistry({ client: documents, tableName: table, allowedPrefixes: PREFIXES, cacheSeconds: 15, now: () => now });
    const [original, renamed] = [
      parseStationRegistry({ stations: [litho()] }, PREFIXES)[0]!,
      parseStationRegistry({ stations: [litho({ name: 'Litho renamed' })] }, PREFIXES)[0]!,
    ];
    await documents.send(
      new PutCommand({ TableName: table, Item: { stationId: 'litho-3', definition: original, version: 1, updatedAt: new Date(T0).toISOString() } }),
    );

    // Act
    const first = await registry.getStation('litho-3');
    const missing = await registry.getStation('etch-1');
    await documents.send(
      new PutCommand({ TableName: table, Item: { stationId: 'litho-3', definition: renamed, version: 2, updatedAt: new Date(T0).toISOString() } }),
    );
    await documents.send(
      new PutCommand({ TableName: table, Item: { stationId: 'etch-1', definition: parseStationRegistry({ stations: [etch()] }, PREFIXES)[0], version: 1 } }),
    );
    now += 14_999;
    const cached = await registry.getStation('litho-3');
    const stillMissing = await registry.getStation('etch-1');
    now += 1;
    const reread = await registry.getStation('litho-3');
    const found = await registry.getStation('etch-1');

    // Assess
    expect(first).toEqual(original);
    expect(missing).toBeUndefined();
    expect(cached).toEqual(original);
    expect(stillMissing).toBeUndefined();
    expect(reread).toEqual(renamed);
    expect(found?.id).toBe('etch-1');
  });

  it('drops the cache when it imports, and reads every time with cacheSeconds 0', async () => {
    // Prepare
    const table = freshTable();
    const registry = new DynamoDbStationRegistry({ client: documents, tableName: table, allowedPrefixes: PREFIXES, cacheSeconds: 60, now: () => T0 });
    const uncached = new DynamoDbStationRegistry({ client: documents, tableName: table, allowedPrefixes: PREFIXES, cacheSeconds: 0 });
    await registry.importStations(parseStationRegistry({ stations: [litho()] }, PREFIXES));
    await registry.getStation('litho-3');

    // Act
    await registry.importStations(parseStationRegistry({ stations: [litho({ name: 'Litho renamed' })] }, PREFIXES));
    const afterImport = await registry.getStation('litho-3');
    await documents.send(new DeleteCommand({ TableName: table, Key: { stationId: 'litho-3' } }));
    const uncachedAfterDelete = await uncached.getStation('litho-3');

    // Assess
    expect(afterImport?.name).toBe('Litho renamed');
    expect(uncachedAfterDelete).toBeUndefined();
  });

  it('reads a stored station edited by hand to a number outside the prefixes (or to nonsense) as unknown, and does not list it', async () => {
    // Prepare
    const table = freshTable();
    const registry = new DynamoDbStationRegistry({ client: documents, tableName: table, allowedPrefixes: PREFIXES, cacheSeconds: 0 });
    await registry.importStations(parseStationRegistry({ stations: [litho(), etch()] }, PREFIXES));
    const items = await itemsOf(table);
    const abroad = structuredClone(items['litho-3']!);
    (abroad.definition as { escalation: Array<{ contacts: Array<{ phone: string }> }> }).escalation[1]!.contacts[0]!.phone = '+882123456789';
    await documents.send(new PutCommand({ TableName: table, Item: abroad }));
    await documents.send(new PutCommand({ TableName: table, Item: { ...items['etch-1'], definition: { id: 'etch-1', name: 'Etch <one>' } } }));

    // Act
    const edited = await registry.getStation('litho-3');
    const broken = await registry.getStation('etch-1');
    const listed = await registry.listStations();

    // Assess
    expect(edited).toBeUndefined();
    expect(broken).toBeUndefined();
    expect(listed).toEqual([]);
  });

  it('lists the valid stations with their versions, sorted by id', async () => {
    // Prepare
    const table = freshTable();
    const registry = new DynamoDbStationRegistry({ client: documents, tableName: table, allowedPrefixes: PREFIXES, now: () => T0 });
    await registry.importStations(parseStationRegistry({ stations: [litho(), etch()] }, PREFIXES));
    await registry.importStations(parseStationRegistry({ stations: [litho({ name: 'Litho renamed' }), etch()] }, PREFIXES));

    // Act
    const listed = await registry.listStations();

    // Assess
    expect(listed.map(({ id, name, version, updatedAt }) => ({ id, name, version, updatedAt }))).toEqual([
      { id: 'etch-1', name: 'Etch one', version: 1, updatedAt: new Date(T0).toISOString() },
      { id: 'litho-3', name: 'Litho renamed', version: 2, updatedAt: new Date(T0).toISOString() },
    ]);
  });
});
