// `npm start`: the whole product on this machine — the upload page, the API served by the deployed handler
// modules, S3 (s3rver), the alert queue (SQS emulator) and its state (dynalite), the embedded detector and a
// simulated Amazon Connect — in one process, no AWS account.
import { startLocalStack } from './local-stack';

/** Settings a developer may change from the shell; everything else is the local stack's own wiring. */
const PASSED_THROUGH = [
  'DETECTOR',
  'EMBEDDED_MODEL_URI',
  'ALERT_CONFIDENCE_THRESHOLD',
  'ALERT_REVIEW_THRESHOLD',
  'MAX_IMAGE_BYTES',
  'MIN_IMAGE_SIDE',
  'MAX_IMAGE_SIDE',
  'OPERATOR_PHONE_NUMBER',
  'OPERATOR_COUNTRY_PREFIXES',
  'STATION_CALL_COOLDOWN_SECONDS',
  // The escalation ladder: the station registry file (relative to the working directory), how long a level rings
  // unacknowledged before the next, how often the ladder is gone through, and how long one call rings.
  'STATIONS_FILE',
  'ACK_TIMEOUT_SECONDS',
  'ESCALATION_LOOPS',
  'RING_TIMEOUT_SECONDS',
  'DAILY_CALL_CAP',
  'ALERT_RETRY_BASE_SECONDS',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_DEV',
] as const;

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORT must be a whole number from 0 to 65535, not "${text}"`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const overrides: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined && value !== '') overrides[name] = value;
  }
  const stack = await startLocalStack({
    port: parsePort(process.env.PORT),
    host: process.env.HOST || '127.0.0.1',
    dataDir: process.env.WAFERWATCH_DATA_DIR || '.data',
    env: overrides,
    log: (line) => console.log(`[local] ${line}`),
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now".
      process.exit(130);
    }
    stopping = true;
    console.log(`[local] ${signal}: stopping…`);
    // A stuck connection must not keep the port busy forever.
    setTimeout(() => {
      console.error('[local] did not stop within 10 s; exiting anyway');
      process.exit(1);
    }, 10_000).unref();
    stack.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[local] could not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const stations = stack.env.STATION_REGISTRY_TABLE ? `${stack.env.STATIONS_FILE} (table ${stack.env.STATION_REGISTRY_TABLE})` : 'none (STATIONS_FILE is not set)';
  console.log(`[local] station registry: ${stations}; an unanswered call rings ${stack.env.RING_TIMEOUT_SECONDS} s`);
  console.log(`[local] detector: ${stack.env.DETECTOR} (${stack.env.DETECTOR === 'embedded' ? stack.env.EMBEDDED_MODEL_URI : 'Lookout for Vision emulator'}); S3 (s3rver) at ${stack.env.S3_ENDPOINT}, data in ${stack.dataDir}`);
  console.log(`waferwatch is running at ${stack.url}  (Ctrl-C to stop)`);
}

main().catch((error: unknown) => {
  console.error('[local] the local stack did not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
