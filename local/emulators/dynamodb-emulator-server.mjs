// @ts-check
// dynalite in the current thread; startDynamoDbEmulator (dynamodb-emulator.ts) runs it in a worker thread of its own.
// Plain JavaScript, so that thread starts without a TypeScript loader (see emulator-thread-entry.mjs).
import { createRequire } from 'node:module';
import dynalite from 'dynalite';

// The LevelDB binding dynalite itself uses (its dependency `level`), resolved from dynalite's own folder.
const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const { Level } = /** @type {{ Level: new (location: string) => { open(): Promise<void>; close(): Promise<void> } }} */ (requireFromDynalite('level'));

/**
 * Run dynalite in this thread; the tables are created over HTTP by the caller.
 * @param {import('./dynamodb-emulator').DynaliteServerOptions} options
 * @returns {Promise<import('./emulator-thread').ServedEmulator<{ port: number }>>}
 */
export async function serveDynalite(options) {
  // dynalite opens its store lazily and, when it cannot (a folder it may not write, another stack holding the LevelDB
  // lock), fails each request with an unhandled "Database is closed"; opening it once first says why, at the start.
  if (options.directory) await checkStore(options.directory);
  // The real service takes seconds to create a table; a test should not.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.directory ? { path: options.directory } : {}),
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(undefined));
  });
  return {
    ready: { port: /** @type {import('node:net').AddressInfo} */ (server.address()).port },
    // dynalite's close() also closes its LevelDB store (and its lock) before it calls back.
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** @param {string} directory */
async function checkStore(directory) {
  const store = new Level(directory);
  try {
    await store.open();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? /** @type {NodeJS.ErrnoException} */ (error.cause) : undefined;
    const why = `${error instanceof Error ? error.message : String(error)}${cause ? `: ${cause.message}` : ''}`;
    throw Object.assign(new Error(`cannot open its LevelDB store in ${directory} (${why})`, { cause: error }), cause?.code ? { code: cause.code } : {});
  }
  await store.close();
}
