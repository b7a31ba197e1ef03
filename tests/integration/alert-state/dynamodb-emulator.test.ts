import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { startDynamoDbEmulator } from '../../../local/emulators/dynamodb-emulator';

const directories: string[] = [];

afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('startDynamoDbEmulator', () => {
  it('keeps the data in a directory across restarts and finds its tables already there', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'waferwatch-dynamodb-'));
    directories.push(directory);
    const tables = [{ name: 'alert-state', partitionKey: 'pk' }];
    const first = await startDynamoDbEmulator({ tables, directory });
    const writer = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: first.endpoint }));
    await writer.send(new PutCommand({ TableName: 'alert-state', Item: { pk: 'station#litho-7', folded: 2 } }));
    writer.destroy();
    await first.close();

    // Act
    const second = await startDynamoDbEmulator({ tables, directory });
    const reader = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: second.endpoint }));
    const read = await reader.send(new GetCommand({ TableName: 'alert-state', Key: { pk: 'station#litho-7' } }));
    reader.destroy();
    await second.close();

    // Assess
    expect(read.Item).toEqual({ pk: 'station#litho-7', folded: 2 });
  });

  it('creates a table with a sort key, which writes then must carry', async () => {
    // Prepare
    const emulator = await startDynamoDbEmulator({ tables: [{ name: 'events', partitionKey: 'pk', sortKey: 'sk' }] });
    const client = toDocumentClient(createDynamoDbClient({ region: 'us-east-1', endpoint: emulator.endpoint }));

    // Act
    await client.send(new PutCommand({ TableName: 'events', Item: { pk: 'a', sk: '1' } }));
    const missingSortKey = await client.send(new PutCommand({ TableName: 'events', Item: { pk: 'a' } })).then(
      () => undefined,
      (error: unknown) => error,
    );
    client.destroy();
    await emulator.close();

    // Assess
    expect((missingSortKey as Error).name).toBe('ValidationException');
  });
});
