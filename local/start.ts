// `npm start`: the whole product on this machine — the upload page, the API served by the deployed handler
// modules, S3 (s3rver), the alert queue (SQS emulator) and its state (dynalite), the embedded detector and a
// simulated Amazon Connect — in one process, no AWS account.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTH_SETTING, parseAuthMode } from './gateway/auth-mode';
import { startLocalStack, type LocalStackAuth } from './local-stack';

/**
 * Settings a developer may change from the shell, handed to the handlers (and the stack) as they are. Every variable
 * of README's Configuration table and docs/local-stack.md's Settings table is either here, in STACK_OWN_SETTINGS or in
 * START_SETTINGS (tests/unit/local/start-settings.test.ts keeps the tables and these lists together).
 */
export const PASSED_THROUGH = [
  // The detector and the checks on an image: which detector, its model, and how much the stations' own models may hold.
  'DETECTOR',
  'EMBEDDED_MODEL_URI',
  'ONNX_MODEL_URI',
  'ONNX_MODEL_SHA256',
  'ONNX_THRESHOLD',
  'ONNX_INPUT_SIZE',
  'ONNX_INPUT_NORMALIZATION',
  'SAGEMAKER_CONTENT_TYPE',
  'MODEL_CACHE_MAX_MB',
  'ALERT_CONFIDENCE_THRESHOLD',
  'ALERT_REVIEW_THRESHOLD',
  'MAX_IMAGE_BYTES',
  'MIN_IMAGE_SIDE',
  'MAX_IMAGE_SIDE',
  'IMAGE_DEDUPE_TTL_SECONDS',
  // The camera path (POST /uploads): its size limit and how long a presigned POST lasts.
  'CAMERA_MAX_IMAGE_BYTES',
  'UPLOAD_URL_EXPIRY_SECONDS',
  // CORS: origins allowed on top of the stack's own (its page's origins stay allowed).
  'ALLOWED_ORIGINS',
  // Who is called, from which number, and the toll-fraud guard both must pass.
  'OPERATOR_PHONE_NUMBER',
  'CONNECT_SOURCE_PHONE_NUMBER',
  'OPERATOR_COUNTRY_PREFIXES',
  // The call policy.
  'STATION_CALL_COOLDOWN_SECONDS',
  'DAILY_CALL_CAP',
  'STATION_DAILY_CALL_CAP',
  'CONNECT_CALLS_PER_SECOND',
  'ALERT_MAX_ATTEMPTS',
  'ALERT_RETRY_BASE_SECONDS',
  // The escalation ladder: the station registry file (relative to the working directory) and how long a read station
  // is kept, how long a level rings unacknowledged before the next, how often the ladder is gone through, and how
  // long one call rings.
  'STATIONS_FILE',
  'STATION_REGISTRY_CACHE_SECONDS',
  'ACK_TIMEOUT_SECONDS',
  'ESCALATION_LOOPS',
  'RING_TIMEOUT_SECONDS',
  // The handlers' logs.
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_DEV',
] as const;

/**
 * Configuration the local stack sets itself and does not take from the shell, with the reason: the wiring to its own
 * stand-ins. A developer's shell (with a real AWS profile's settings, say) must not point the handlers elsewhere.
 */
export const STACK_OWN_SETTINGS: Readonly<Record<string, string>> = {
  STAGE: 'always `local`: the only stage where the handlers allow `*` origins and the stand-ins answer',
  AWS_REGION: "the stand-ins' region (us-east-1); a developer's AWS_REGION is for real AWS",
  IMAGE_BUCKET: 'the s3rver bucket the stack creates (waferwatch-local-images)',
  S3_ENDPOINT: "the stack's s3rver (in a worker thread)",
  CONNECT_INSTANCE_ID: "the Connect emulator's own instance: calls name it, and the contact events rule is resolved against it",
  CONNECT_CONTACT_FLOW_ID: "the Connect emulator's own contact flow (it runs the shipped one)",
  CONNECT_ENDPOINT: 'the Connect emulator',
  LOOKOUT_ENDPOINT: 'the Lookout for Vision emulator (DETECTOR=lookoutvision)',
  LOOKOUT_PROJECT_NAME: 'the model the Lookout for Vision emulator hosts',
  LOOKOUT_MODEL_VERSION: 'the model the Lookout for Vision emulator hosts',
  SAGEMAKER_RUNTIME_ENDPOINT: 'the SageMaker Runtime emulator (DETECTOR=sagemaker), whose endpoint answers with the embedded detector',
  SAGEMAKER_ENDPOINT_NAME: 'the endpoint the SageMaker Runtime emulator hosts (waferwatch-defects)',
  ALERT_QUEUE_URL: "the SQS emulator's alert queue",
  ALERT_DEAD_LETTER_QUEUE_URL: "the SQS emulator's dead-letter queue",
  SQS_ENDPOINT: 'the SQS emulator',
  ALERT_STATE_TABLE: 'the dynalite table the stack creates',
  DYNAMODB_ENDPOINT: "the stack's dynalite (in a worker thread)",
  STATION_REGISTRY_TABLE: 'created and filled by the stack from STATIONS_FILE',
  ALERT_UNACKNOWLEDGED_TOPIC_ARN: "the SNS emulator's topic (GET /_local/notifications)",
  SNS_ENDPOINT: 'the SNS emulator',
  AUTH_ISSUER: 'the local OpenID provider the stack mounts at /_local/identity (WAFERWATCH_AUTH=on)',
  AUTH_CLIENT_ID: "the local OpenID provider's client for the page",
  AUTH_JWKS_URI: "the local OpenID provider's keys (<issuer>/.well-known/jwks.json, where Cognito publishes them)",
  CAMERA_KEY_TABLE: 'the dynalite table the stack creates and seeds with one key per station',
  APIGATEWAY_ENDPOINT: 'the API Gateway emulator holding the camera keys and their usage plans',
  PEOPLE_API_KEY_ID: 'never set locally: people are not metered by a usage plan on the local stack',
};

/** Signals within this long of the first one are the same stop, passed on by npm, its shell and tsx. */
const SAME_STOP_MS = 3_000;

/** Read by this script (or by the stack from the environment) rather than handed to the handlers. */
export const START_SETTINGS = ['PORT', 'HOST', 'WAFERWATCH_DATA_DIR', 'WAFERWATCH_AUTH'] as const;

function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 3000;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`PORT must be a whole number from 0 to 65535, not "${text}"`);
    process.exit(2);
  }
  return port;
}

/** The settings from `environment` that `npm start` hands to the stack: PASSED_THROUGH's, when set and not empty. */
export function passedThrough(environment: Record<string, string | undefined>): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = environment[name];
    if (value !== undefined && value !== '') overrides[name] = value;
  }
  return overrides;
}

/** WAFERWATCH_AUTH (`on` by default, or `off`); anything else stops here, naming the setting. */
function parseAuth(text: string | undefined): string {
  try {
    return parseAuthMode(text);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}

/** The lines `npm start` prints about sign-in: each seeded user with their password and group, and where the camera keys are. */
export function signInLines(auth: LocalStackAuth): string[] {
  // Off, the stack itself says so as it starts (local/local-stack.ts), once.
  if (auth.mode === 'off') return [];
  const width = Math.max(...auth.credentials.users.map((user) => user.username.length));
  return [
    `sign-in on (${AUTH_SETTING}=on; off for scripts and demos): the page asks people to sign in at ${auth.issuer}`,
    ...auth.credentials.users.map((user) => `  user ${user.username.padEnd(width)}  password ${user.password}  group ${user.groups.join(',')}`),
    `camera keys (x-api-key) for ${auth.credentials.cameraKeys.map((key) => key.station).join(', ') || 'no station'}, and the users, in ${auth.credentialsFile}`,
  ];
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    auth: parseAuth(process.env.WAFERWATCH_AUTH),
    port: parsePort(process.env.PORT),
    host: process.env.HOST || '127.0.0.1',
    dataDir: process.env.WAFERWATCH_DATA_DIR || '.data',
    env: passedThrough(process.env),
    log: (line) => console.log(`[local] ${line}`),
    // Not the "running at" line yet: a request sent from now on waits until the stack is ready.
    onListening: (url) => console.log(`[local] listening at ${url}; starting the stand-ins and loading the handlers (requests wait until ready)…`),
  });

  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // npm, its shell and tsx each pass the one signal on, so the same stop arrives several times within moments (later
      // still on a busy machine): only a second signal given well after the first (a person pressing Ctrl-C again)
      // means "now".
      if (Date.now() - stoppingSince < SAME_STOP_MS) return;
      console.error(`[local] ${signal} again: exiting now`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    console.log(`[local] ${signal}: stopping…`);
    // A stuck connection must not keep the port busy forever.
    setTimeout(() => {
      console.error('[local] did not stop within 10 s; exiting anyway');
      process.exit(1);
    }, 10_000).unref();
    stack.close().then(
      // Output to a pipe is written asynchronously: exit once the last lines ("local stack stopped") are out.
      () => process.stdout.write('', () => process.exit(0)),
      (error: unknown) => {
        console.error('[local] could not stop cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const stations = stack.env.STATION_REGISTRY_TABLE
    ? `${stack.env.STATIONS_FILE} (table ${stack.env.STATION_REGISTRY_TABLE})`
    : 'none (STATIONS_FILE is not set)';
  console.log(`[local] station registry: ${stations}; an unanswered call rings ${stack.env.RING_TIMEOUT_SECONDS} s`);
  console.log(
    `[local] detector: ${stack.env.DETECTOR} (${stack.env.DETECTOR === 'embedded' ? stack.env.EMBEDDED_MODEL_URI : 'Lookout for Vision emulator'}); S3 (s3rver) at ${stack.env.S3_ENDPOINT}, data in ${stack.dataDir}`,
  );
  for (const line of signInLines(stack.auth)) console.log(`[local] ${line}`);
  console.log(`waferwatch is running at ${stack.url}  (Ctrl-C to stop)`);
}

/** True when this file is the script node was asked to run (`npm start`, `npx tsx local/start.ts`), not an import. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  const self = realpathSync(fileURLToPath(import.meta.url));
  for (const candidate of [script, `${script}.ts`]) {
    try {
      if (realpathSync(path.resolve(candidate)) === self) return true;
    } catch {
      // No such file: try the next spelling.
    }
  }
  return false;
}

// Only when run, not when a test imports the lists above.
if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error('[local] the local stack did not start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
