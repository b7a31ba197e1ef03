import { Worker } from 'node:worker_threads';

// Why this exists: the local stack runs the Lambda handlers in-process, and s3rver and dynalite used to run on the same
// JavaScript thread. A handler busy for 20 ms (the embedded detector) then held up the S3 PUT it had started before,
// and dynalite's expression parsing slowed every conditional write the handler waited for. In AWS those services run
// elsewhere, in parallel with the function. So each of them runs in a worker thread of its own: its CPU work goes to
// another core, and the handlers reach it over HTTP exactly as before.
//
// A served module exports a function `(options, host) => Promise<{ ready, close }>` that starts its server in the
// current thread (it can be called in-process too); startEmulatorThread runs it in a new worker thread and hands back
// what it answered as `ready` (structured-cloned), a message channel both ways, and close(). The thread's side is
// emulator-thread-entry.mjs, in plain JavaScript: it registers tsx in the new thread only when the served module is
// TypeScript (see there why).

/** The worker's entry (see above). */
const ENTRY = new URL('./emulator-thread-entry.mjs', import.meta.url);
/** How long close() waits for the server in the thread to stop gracefully before it terminates the thread anyway. */
const CLOSE_TIMEOUT_MS = 5_000;

/** What a served module's start function gets: the messages to and from the thread that started it. */
export interface ThreadHost {
  /** Sends a message to the starting thread's `onMessage` (structured clone, in order). */
  post(message: unknown): void;
  /** Messages the starting thread sent with `post`, in order. */
  onMessage(listener: (message: unknown) => void): void;
}

/** A server started by a served module: what to tell the starting thread, and how to stop it. */
export interface ServedEmulator<Ready> {
  ready: Ready;
  close(): Promise<void>;
}

/** An emulator running in a worker thread. */
export interface EmulatorThread<Ready> {
  /** What the served module answered once its server was up. */
  ready: Ready;
  /** Sends a message to the served module's `host.onMessage`. Ignored once the thread is gone. */
  post(message: unknown): void;
  /**
   * Stops the server in the thread (waits for it, at most 5 s) and terminates the thread; rejects with the server's
   * close error, if any, once the thread is gone. A thread that crashed resolves at once (its crash was logged).
   */
  close(): Promise<void>;
}

/** An error as the thread sends it (emulator-thread-entry.mjs). */
interface SerialisedError {
  message: string;
  name?: string;
  code?: string;
  stack?: string;
}

/** The messages of emulator-thread-entry.mjs. */
type FromThread =
  | { kind: 'ready'; ready: unknown }
  | { kind: 'failed'; error: SerialisedError }
  | { kind: 'message'; message: unknown }
  | { kind: 'closed'; error?: SerialisedError };

type ToThread = { kind: 'message'; message: unknown } | { kind: 'close' };

/** The worker's workerData, read by emulator-thread-entry.mjs. */
interface ThreadData {
  module: string;
  exportName: string;
  options: unknown;
}

export interface StartEmulatorThreadOptions<Options> {
  /** Names the emulator in errors and log lines, e.g. "S3 emulator (s3rver)". */
  name: string;
  /** The served module (a file URL, e.g. `new URL('./s3-emulator-server.ts', import.meta.url)`) and its function. */
  module: URL;
  exportName: string;
  /** Handed to the function; must be structured-cloneable (no functions). */
  options: Options;
  /** Messages the served module posts, in order; `reply` posts one back to it. */
  onMessage?: (message: unknown, reply: (message: unknown) => void) => void;
  /** Where a crash after the start is reported; default console.error. */
  log?: (line: string) => void;
}

/**
 * Start a served module's server in a new worker thread. Resolves once it is up; rejects with the underlying error's
 * message (and `code`, e.g. EADDRINUSE) when it fails to start, the thread having been terminated.
 */
export async function startEmulatorThread<Options, Ready>(options: StartEmulatorThreadOptions<Options>): Promise<EmulatorThread<Ready>> {
  const log = options.log ?? ((line: string) => console.error(line));
  const data: ThreadData = { module: options.module.href, exportName: options.exportName, options: options.options };
  // No execArgv of the parent: its TypeScript loader (tsx's --import, or none under vitest) is not what the thread
  // needs, and the entry brings its own. Process-wide options (--openssl-legacy-provider) apply to every thread anyway.
  const worker = new Worker(ENTRY, { workerData: data, execArgv: [] });

  let state: 'starting' | 'running' | 'gone' = 'starting';
  const post = (message: unknown) => {
    if (state === 'running') worker.postMessage({ kind: 'message', message } satisfies ToThread);
  };
  let closedReport: ((error: SerialisedError | undefined) => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const ready = await new Promise<Ready>((resolve, reject) => {
    const failStart = (error: SerialisedError | Error) => {
      if (state !== 'starting') return;
      state = 'gone';
      void worker.terminate();
      reject(toError(error, `${options.name} did not start: `));
    };
    worker.on('message', (received: FromThread) => {
      switch (received.kind) {
        case 'ready':
          if (state === 'starting') {
            state = 'running';
            resolve(received.ready as Ready);
          }
          return;
        case 'failed':
          failStart(received.error);
          return;
        case 'message':
          options.onMessage?.(received.message, post);
          return;
        case 'closed':
          closedReport?.(received.error);
          return;
      }
    });
    worker.on('error', (error: Error) => {
      if (state === 'starting') {
        failStart(error);
        return;
      }
      if (state === 'running') log(`${options.name} crashed in its worker thread: ${error.stack ?? error.message}`);
      state = 'gone';
    });
    worker.on('exit', (code) => {
      if (state === 'starting') failStart(new Error(`its worker thread exited with code ${code} before the server was up`));
      else if (state === 'running') log(`${options.name}: its worker thread exited with code ${code}`);
      state = 'gone';
    });
  });

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    let closeError: SerialisedError | undefined;
    if (state === 'running') {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        new Promise<'closed'>((resolve) => {
          closedReport = (error) => {
            closeError = error;
            resolve('closed');
          };
          worker.postMessage({ kind: 'close' } satisfies ToThread);
        }),
        exited.then(() => 'exited' as const),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') log(`${options.name} did not stop within ${CLOSE_TIMEOUT_MS} ms; terminating its worker thread`);
    }
    state = 'gone';
    await worker.terminate();
    if (closeError) throw toError(closeError);
  };
  return {
    ready,
    post,
    close: () => (closing ??= close()),
  };
}

/** An Error in this thread carrying the thread's message (after `prefix`), code and stack. */
function toError(error: SerialisedError | Error, prefix = ''): Error {
  const made = new Error(`${prefix}${error.message}`) as NodeJS.ErrnoException;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') made.code = code;
  if (error.stack) made.stack = `${made.name}: ${made.message}\n    in the worker thread: ${error.stack}`;
  return made;
}
