import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { startEmulatorThread } from './emulator-thread';

/** A running DynamoDB stand-in and how to reach it. */
export interface DynamoDbEmulator {
  /** Endpoint URL for a DynamoDB client (createDynamoDbClient in functions/adapters/aws-clients.ts). */
  endpoint: string;
  /** Stop the server and drop open connections; in-memory data is gone afterwards. */
  close(): Promise<void>;
}

/** A table to create at start; keys are strings, billing on demand. */
export interface EmulatedTable {
  name: string;
  partitionKey: string;
  sortKey?: string;
}

export interface DynamoDbEmulatorOptions {
  tables: EmulatedTable[];
  /** Keep the data in LevelDB files here (e.g. across local restarts); in memory by default. */
  directory?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** What startDynamoDbEmulator hands to its worker thread (dynamodb-emulator-server.mjs). */
export interface DynaliteServerOptions {
  /** LevelDB directory; in memory when unset. */
  directory?: string;
  host: string;
  port: number;
}

/**
 * Start dynalite (dev and test only) in a worker thread of its own (dynamodb-emulator-server.mjs), so its work (parsing
 * expressions, LevelDB) runs beside this thread's as DynamoDB runs beside a Lambda function: the DynamoDB JSON 1.0 API,
 * including condition, update and projection expressions, with the given tables created and ACTIVE.
 * Not emulated: TTL deletion (items stay until deleted; the alert store treats expired
 * items as absent itself), transactions, ReturnValuesOnConditionCheckFailure (the error
 * carries no item), streams. Signatures are not checked, so any credentials work.
 */
export async function startDynamoDbEmulator(options: DynamoDbEmulatorOptions): Promise<DynamoDbEmulator> {
  const host = options.host ?? '127.0.0.1';
  const thread = await startEmulatorThread<DynaliteServerOptions, { port: number }>({
    name: 'DynamoDB emulator (dynalite)',
    module: new URL('./dynamodb-emulator-server.mjs', import.meta.url),
    exportName: 'serveDynalite',
    options: { host, port: options.port ?? 0, ...(options.directory ? { directory: options.directory } : {}) },
  });
  const endpoint = `http://${host}:${thread.ready.port}`;
  const close = () => thread.close();

  const client = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    for (const table of options.tables) await createTable(client, table);
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, close };
}

async function createTable(client: DynamoDBClient, table: EmulatedTable): Promise<void> {
  const keys: KeySchemaElement[] = [{ AttributeName: table.partitionKey, KeyType: 'HASH' }];
  if (table.sortKey) keys.push({ AttributeName: table.sortKey, KeyType: 'RANGE' });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        KeySchema: keys,
        AttributeDefinitions: keys.map((key) => ({ AttributeName: key.AttributeName, AttributeType: 'S' as const })),
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    // A persistent directory already holds the table from an earlier run.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const described = await client.send(new DescribeTableCommand({ TableName: table.name }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Table ${table.name} did not become ACTIVE`);
}
