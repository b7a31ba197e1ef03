// @ts-check
// The entry of an emulator's worker thread: the thread side of startEmulatorThread (emulator-thread.ts, whose types
// describe the messages). Plain JavaScript on purpose: a worker does not inherit the TypeScript loader of the thread
// that started it (tsx's under `npm start` and the benchmarks, vite's transform under vitest), so when the served module
// is TypeScript this thread registers tsx's own loader first; a JavaScript module (dynalite's) needs none, and starts
// without the cost of it.
import { parentPort, workerData } from 'node:worker_threads';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { module, exportName, options } = /** @type {{ module: string; exportName: string; options: unknown }} */ (workerData);
/** @param {unknown} message */
const send = (message) => port.postMessage(message);

/** @param {unknown} error */
function serialise(error) {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = /** @type {{ code?: unknown }} */ (error).code;
  return { message: error.message, name: error.name, ...(typeof code === 'string' ? { code } : {}), ...(error.stack ? { stack: error.stack } : {}) };
}

/** @type {Array<(message: unknown) => void>} */
const listeners = [];
/** @type {{ ready: unknown; close(): Promise<void> } | undefined} */
let served;
port.on('message', (/** @type {{ kind: 'message'; message: unknown } | { kind: 'close' }} */ received) => {
  if (received.kind === 'message') {
    for (const listener of listeners) listener(received.message);
    return;
  }
  (served ? served.close() : Promise.resolve()).then(
    () => send({ kind: 'closed' }),
    (/** @type {unknown} */ error) => send({ kind: 'closed', error: serialise(error) }),
  );
});
/** The served function's `host`: messages to and from the thread that started this one. */
const host = {
  post: (/** @type {unknown} */ message) => send({ kind: 'message', message }),
  onMessage: (/** @type {(message: unknown) => void} */ listener) => void listeners.push(listener),
};

try {
  if (module.endsWith('.ts')) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const serve = (await import(module))[exportName];
  if (typeof serve !== 'function') throw new Error(`${exportName} is not a function of ${module}`);
  served = await serve(options, host);
  send({ kind: 'ready', ready: served?.ready });
} catch (error) {
  send({ kind: 'failed', error: serialise(error) });
}
