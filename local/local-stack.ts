import { randomUUID } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { API_GATEWAY_MAX_PAYLOAD_BYTES, buildProxyEvent, createLambdaContext, pairRawHeaders, proxyResultToHttpResponse } from './api-gateway-events';
import { createCameraUploadDelivery, type CameraUploadQueueHandler } from './camera-upload-notifications';
import { createContactEventDelivery, readEventBridgeTarget, type ContactEventDelivery, type ContactEventHandler } from './contact-event-delivery';
import { startQueuePump, type RunningQueuePump, type SqsBatchHandler } from './emulators/sqs-lambda-pump';
import { createPersonTokenVerifier } from '../functions/adapters/identity/person-token-verifier';
import { DEFAULT_STATION_ID } from '../functions/core/station-registry';
import { readDevCredentials, writeDevCredentials, type DevCredentials } from './dev-credentials';
import { parseAuthMode } from './gateway/auth-mode';
import { createLocalGateway, type GatewayDecision, type LocalGateway, type RequestAuthorizerHandler } from './gateway/authorizers';
import { LOCAL_IDENTITY_PATH, PAGE_SCOPE } from './identity/identity-names';
import type { LocalIdentityProvider } from './identity/local-identity-provider';
import { startLocalCameraKeys, type LocalCameraKeys } from './local-camera-keys';
import { LOCAL_IMAGE_BUCKET, startLocalServices, type LocalServices } from './local-services';
import { createPhoneSimulator, type PhoneSimulator } from './phone/phone-simulator';
import { matchRoute, parseServerlessYaml, readServerlessApi, type ServerlessRoute } from './serverless-routes';
import { pageContentSecurityPolicy, readPageFile } from './static-files';
import { sendJson } from './json-response';

/** The project root: local/ sits directly under it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** API Gateway's integration timeout; a handler running longer gets a 504, as deployed. */
const INTEGRATION_TIMEOUT_MS = 29_000;
/** How long a local call rings before it ends unanswered, unless RING_TIMEOUT_SECONDS says otherwise. */
const DEFAULT_RING_TIMEOUT_SECONDS = 30;
/** The account in the local ARNs (the emulators' contact events, the contact events rule's instance ARN). */
const LOCAL_ACCOUNT_ID = '000000000000';
/** EventBridge hands contact events to their target a moment after Connect emitted them. */
const CONTACT_EVENT_DELIVERY_DELAY_MS = 200;
/** OPERATOR_COUNTRY_PREFIXES' default in functions/config/country-prefixes.ts, for checking a STATIONS_FILE's numbers. */
const DEFAULT_COUNTRY_PREFIXES = '+1,+44';
/** How long a request that arrives while the stack is still starting waits for it before it is answered 503 STARTING. */
const DEFAULT_STARTING_REQUEST_WAIT_MS = 30_000;
/** What a 503 STARTING tells the client to wait before trying again (Retry-After, seconds). */
const STARTING_RETRY_AFTER_SECONDS = 5;
/**
 * After answering early (413, 503), the rest of the request body is still read and thrown away, so the client can
 * finish sending and then read the answer; at most this many bytes of the request in all, and for this long, then
 * the connection is closed whatever the client is still sending.
 */
const DRAIN_LIMIT_BYTES = 128 * 1024 * 1024;
const DRAIN_LIMIT_MS = 30_000;

export interface LocalStackOptions {
  /** TCP port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1, so the stack is not reachable from the network unless asked. */
  host?: string;
  /** Where s3rver keeps the bucket. Default `.data/` under the project root. */
  dataDir?: string;
  /**
   * Environment values for the handlers, over the local defaults (e.g. DETECTOR, ALERT_CONFIDENCE_THRESHOLD). Two are
   * the local stack's own: RING_TIMEOUT_SECONDS (how long a call rings before it ends unanswered, default 30) and
   * STATIONS_FILE (a station registry JSON file, relative to the working directory: the stack creates and fills the
   * station registry table from it and sets STATION_REGISTRY_TABLE).
   */
  env?: Record<string, string | undefined>;
  /** Project root holding serverless.yml, functions/, static-site/ and models/. Default: this repository. */
  projectRoot?: string;
  /** One line per request and lifecycle event; default silent. */
  log?: (line: string) => void;
  /**
   * WAFERWATCH_AUTH: `on` (the default) makes the local API gateway enforce what the deployed one does (people sign in
   * at the local OpenID provider, cameras send their seeded keys); `off` lets every API request in as a signed-in
   * person of every group, for scripts and demos. Anything else refuses to start. Default: `env.WAFERWATCH_AUTH`, else on.
   */
  auth?: string;
  /**
   * Called once the port accepts connections, before the services are up and the handlers loaded (startLocalStack
   * resolves only when all of that is done). A request that arrives in between waits for the stack, for at most
   * `startingRequestWaitMs`, and is then served; after that it is answered 503 STARTING with Retry-After, and 503
   * START_FAILED if the start fails.
   */
  onListening?: (url: string) => void;
  /** How long a request sent while the stack is starting waits for it. Default 30 s. */
  startingRequestWaitMs?: number;
}

/** The local stack's sign-in and camera keys (WAFERWATCH_AUTH), as a developer or a test needs them. */
export type LocalStackAuth =
  | {
      mode: 'on';
      /** The local OpenID provider and the page's client. */
      issuer: string;
      clientId: string;
      /** `<data folder>/dev-credentials.json`: the seeded users and camera keys (the same content as `credentials`). */
      credentialsFile: string;
      credentials: DevCredentials;
    }
  | { mode: 'off' };

/** The page's config.json on the local stack: the API (this origin) and how to sign in (null with WAFERWATCH_AUTH=off). */
export interface LocalPageConfig {
  apiBaseUrl: string;
  auth: { authority: string; clientId: string; scope: string } | null;
  local: true;
}

/** A running local stack. */
export interface LocalStack {
  /** Base URL of the page and the API, e.g. http://localhost:3000. */
  url: string;
  /** The environment the handlers were configured with. */
  env: Readonly<Record<string, string>>;
  /** Absolute folder of the stack's S3 data. */
  dataDir: string;
  /** Sign-in on (the issuer, the users and camera keys of dev-credentials.json) or off. */
  auth: LocalStackAuth;
  /**
   * Resolves when every camera upload notified so far (S3 ObjectCreated under incoming/) has been processed, or has
   * run out of tries.
   */
  cameraUploadsSettled(): Promise<void>;
  /**
   * Resolves once the alert queue has been found empty of deliverable alerts (every queued call placed, folded or
   * parked) and every contact event emitted so far has been handled by contactEvents (or ran out of retries). Alerts
   * waiting on a delayed message (an escalation timer) and calls still ringing are not waited for.
   */
  alertsSettled(): Promise<void>;
  /** Stop the HTTP server and the emulators. */
  close(): Promise<void>;
}

type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult | undefined>;

/** The REST API id in the gateway's method ARNs without camera keys (WAFERWATCH_AUTH=off); with them, their API's. */
const LOCAL_REST_API_ID = 'local';

interface LoadedRoute extends ServerlessRoute {
  handler: ProxyHandler;
}

let startedInThisProcess = false;

/**
 * Start the whole product in this process: the upload page, the API served by the deployed handler modules with
 * routes from serverless.yml, S3 (s3rver), the detector and the Connect emulator.
 *
 * One stack per process: the handlers read their configuration once per process, like a Lambda container, so a
 * second stack would silently talk to the first one's emulators. Run a second stack as a second process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (startedInThisProcess) throw new Error('A local stack was already started in this process; start another process for a second stack.');

  const log = options.log ?? (() => {});
  // A bad WAFERWATCH_AUTH stops the start before anything listens.
  const authMode = parseAuthMode(options.auth ?? options.env?.WAFERWATCH_AUTH);
  const projectRoot = path.resolve(options.projectRoot ?? PROJECT_ROOT);
  const dataDir = path.resolve(projectRoot, options.dataDir ?? '.data');
  const host = options.host ?? '127.0.0.1';
  await mkdir(dataDir, { recursive: true });

  const api = await readServerlessApi(path.join(projectRoot, 'serverless.yml'));
  const server = createServer();
  server.keepAliveTimeout = 5_000;
  // The port listens from here on (so a taken port is reported at once), long before the handlers are loaded: a
  // request in between waits at the gate until the stack is ready, instead of hanging unanswered.
  const gate = new StartingGate(options.startingRequestWaitMs ?? DEFAULT_STARTING_REQUEST_WAIT_MS, log);
  server.on('request', gate.listener);
  const requestedPort = options.port ?? 3000;
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new Error(`Port ${requestedPort} on ${host} is already in use; set PORT to another port (0 picks a free one).`) : error,
      );
    server.once('error', refuse);
    server.listen(requestedPort, host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host === '127.0.0.1' || host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;

  let services: LocalServices | undefined;
  let cameraKeys: LocalCameraKeys | undefined;
  let alertPump: RunningQueuePump | undefined;
  let contactEvents: ContactEventDelivery | undefined;
  let stopContactEvents: () => void = () => {};
  // Camera uploads: s3rver's ObjectCreated notifications under incoming/ reach processCameraUpload in this process,
  // wrapped in SQS messages as the deployed queue delivers them.
  const cameraUploads = createCameraUploadDelivery({ bucket: LOCAL_IMAGE_BUCKET, log });
  try {
    options.onListening?.(url);
    const detector = options.env?.DETECTOR ?? 'embedded';
    const ringTimeoutSeconds = parseRingTimeout(options.env?.RING_TIMEOUT_SECONDS);
    const stationsFile = options.env?.STATIONS_FILE ? path.resolve(process.cwd(), options.env.STATIONS_FILE) : undefined;
    if (stationsFile) await checkStationsFile(stationsFile);
    services = await startLocalServices({
      dataDir,
      withLookoutVision: detector === 'lookoutvision',
      ...(detector === 'sagemaker' ? { withSageMaker: { modelFile: path.join(projectRoot, 'models', 'wafer-default.wwm') } } : {}),
      onS3Event: (event) => cameraUploads.notify(event),
      ringTimeoutMs: ringTimeoutSeconds * 1_000,
      region: options.env?.AWS_REGION ?? 'us-east-1',
      stationRegistry: stationsFile !== undefined,
    });
    const env = localEnvironment({ url, port, services, projectRoot, overrides: options.env });
    env.RING_TIMEOUT_SECONDS = String(ringTimeoutSeconds);
    // The stack's own setting, not the handlers'.
    delete env.WAFERWATCH_AUTH;
    warnAboutAlertAttempts(env, services, log);
    let stations = [DEFAULT_STATION_ID];
    if (stationsFile && services.alerts.stationRegistryTable) {
      env.STATIONS_FILE = stationsFile;
      env.STATION_REGISTRY_TABLE = services.alerts.stationRegistryTable;
      stations = await seedStations({
        file: stationsFile,
        endpoint: services.alerts.dynamoDbEndpoint,
        tableName: services.alerts.stationRegistryTable,
        env,
        log,
      });
    }
    await checkEmbeddedModel(env);
    // Who may call: the local OpenID provider and the camera keys (WAFERWATCH_AUTH=on), named to the request authorizer.
    let identity: LocalIdentityProvider | undefined;
    let auth: LocalStackAuth = { mode: 'off' };
    if (authMode === 'on') {
      const { startLocalIdentityProvider } = await import('./identity/local-identity-provider');
      identity = await startLocalIdentityProvider({ origin: url, pageOrigins: pageOrigins(url, port), dataDir });
      const previous = await readDevCredentials(dataDir);
      cameraKeys = await startLocalCameraKeys({
        dataDir,
        dynamoDbEndpoint: services.alerts.dynamoDbEndpoint,
        region: env.AWS_REGION ?? 'us-east-1',
        stations,
        ...(previous ? { previous: previous.cameraKeys } : {}),
      });
      Object.assign(env, {
        AUTH_ISSUER: identity.issuer,
        AUTH_CLIENT_ID: identity.clientId,
        AUTH_JWKS_URI: identity.jwksUri,
        CAMERA_KEY_TABLE: cameraKeys.tableName,
        APIGATEWAY_ENDPOINT: cameraKeys.apiGatewayEndpoint,
      });
      const credentials: DevCredentials = {
        issuer: identity.issuer,
        clientId: identity.clientId,
        users: identity.users.map(({ username, password, group, groups }) => ({ username, password, group, groups: [...groups] })),
        cameraKeys: cameraKeys.keys.map(({ apiKey, station, keyId }) => ({ apiKey, station, keyId })),
      };
      const credentialsFile = await writeDevCredentials(dataDir, credentials);
      auth = { mode: 'on', issuer: identity.issuer, clientId: identity.clientId, credentialsFile, credentials };
      log(`sign-in at ${identity.issuer}; users and camera keys in ${credentialsFile}`);
    } else {
      log('WAFERWATCH_AUTH=off: no sign-in and no camera keys; every API request is a signed-in person of every group');
    }
    // Before any handler module is imported: the configuration is parsed once, at the first import.
    startedInThisProcess = true;
    Object.assign(process.env, env);
    const routes = await loadRoutes(api.routes, log);
    const gateway = createLocalGateway({
      mode: authMode,
      ...(identity ? { people: createPersonTokenVerifier({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri }) } : {}),
      ...(authMode === 'on' ? { requestAuthorizers: await loadRequestAuthorizers(projectRoot, api.routes) } : {}),
      ...(cameraKeys ? { admitUsage: cameraKeys.usagePlans.admit.bind(cameraKeys.usagePlans) } : {}),
      allowedOrigins: (env.ALLOWED_ORIGINS ?? '').split(','),
      region: env.AWS_REGION ?? 'us-east-1',
      accountId: LOCAL_ACCOUNT_ID,
      apiId: cameraKeys?.restApiId ?? LOCAL_REST_API_ID,
      stage: cameraKeys?.stage ?? 'local',
      log,
    });
    cameraUploads.attach(await loadFunctionHandler<CameraUploadQueueHandler>(projectRoot, 'processCameraUpload'));
    // Amazon Connect's contact events -> the EventBridge rule of serverless.yml's contactEvents -> its handler, wired
    // before any call can be placed so no event is missed.
    contactEvents = await startContactEventDelivery({ projectRoot, env, log });
    if (contactEvents) {
      const delivery = contactEvents;
      stopContactEvents = services.connect.onContactEvent((event) => delivery.notify(event));
    }
    // The alert queue's event source mapping: serverless.yml's placeCall, batch size 10 with partial batch failures.
    const placeCall = await loadFunctionHandler<SqsBatchHandler>(projectRoot, 'placeCall');
    alertPump = placeCall
      ? startQueuePump(services.alerts.sqs, services.alerts.alertQueueUrl, placeCall, {
          batchSize: 10,
          functionName: 'placeCall',
          intervalMs: 250,
          onError: (error) => log(`placeCall failed: ${error instanceof Error ? error.message : String(error)}`),
        })
      : undefined;
    // The operator's phone: answering a call runs the shipped contact flow, whose keys invoke the real record-decision.
    const phone = createPhoneSimulator({ calls: services.connect });
    const router = new RequestRouter({
      url,
      routes,
      binaryMediaTypes: api.binaryMediaTypes,
      services,
      phone,
      staticRoot: path.join(projectRoot, 'static-site'),
      log,
      gateway,
      identity,
    });
    gate.open((request, response) => void router.handle(request, response));

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await closeServer(server);
        await cameraUploads.close();
        await alertPump?.stop();
        stopContactEvents();
        await contactEvents?.close();
        await cameraKeys?.close();
        await services?.close();
        log('local stack stopped');
      })();
      return closing;
    };
    const alertsSettled = async () => {
      // A contact event can queue the next level's call, whose INITIATED is another contact event: go round until a
      // pass saw no new event.
      for (;;) {
        const seen = contactEvents?.stats().matched ?? 0;
        await cameraUploads.idle();
        await alertPump?.whenIdle();
        await contactEvents?.idle();
        await alertPump?.whenIdle();
        if ((contactEvents?.stats().matched ?? 0) === seen) return;
      }
    };
    return { url, env, dataDir, auth, cameraUploadsSettled: () => cameraUploads.idle(), alertsSettled, close };
  } catch (error) {
    // Whoever is waiting for the stack hears that it will not come, before the server closes.
    await gate.fail(error);
    await closeServer(server);
    await cameraUploads.close();
    await alertPump?.stop();
    stopContactEvents();
    await contactEvents?.close();
    await cameraKeys?.close();
    await services?.close();
    throw error;
  }
}

/** RING_TIMEOUT_SECONDS as a number of seconds (default 30), or a start-up error naming it. */
function parseRingTimeout(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_RING_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3_600) {
    throw new Error(`RING_TIMEOUT_SECONDS must be a number of seconds above 0 and at most 3600, not "${text}"`);
  }
  return seconds;
}

async function checkStationsFile(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new Error(`STATIONS_FILE ${file} does not exist (a relative path is resolved from the working directory, ${process.cwd()}).`);
  }
}

/**
 * Fill the local station registry table from STATIONS_FILE with local/station-registry-seed.ts (the same checks as
 * `npm run stations:import`; a file with a problem stops the start), before any handler reads it.
 */
async function seedStations(input: {
  file: string;
  endpoint: string;
  tableName: string;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<string[]> {
  const allowedPrefixes = (input.env.OPERATOR_COUNTRY_PREFIXES ?? DEFAULT_COUNTRY_PREFIXES)
    .split(',')
    .map((prefix) => prefix.trim())
    .filter((prefix) => prefix.length > 0);
  // Imported when needed: the import tooling (and its CloudFormation client) is only loaded for a STATIONS_FILE.
  const { seedStationRegistry } = await import('./station-registry-seed');
  const result = await seedStationRegistry({ file: input.file, endpoint: input.endpoint, tableName: input.tableName, allowedPrefixes });
  input.log(`station registry ${input.tableName} filled from ${input.file}`);
  return [...result.created, ...result.updated, ...result.unchanged].sort();
}

/** The origins the page may be opened at: the stack's URL and both loopback names (sign-in returns to each). */
function pageOrigins(url: string, port: number): string[] {
  return [...new Set([url, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
}

/**
 * Deliver the Connect emulator's contact events to serverless.yml's contactEvents function, through its EventBridge
 * rule's pattern. Undefined when the project has no such function (or no eventBridge event on it), or its module
 * does not exist yet (said once in the log).
 */
async function startContactEventDelivery(input: {
  projectRoot: string;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<ContactEventDelivery | undefined> {
  const document = parseServerlessYaml(await readFile(path.join(input.projectRoot, 'serverless.yml'), 'utf8')) as { service?: unknown };
  const region = input.env.AWS_REGION ?? 'us-east-1';
  // What CloudFormation and the framework would fill into the rule's pattern, for this local stack.
  const target = readEventBridgeTarget(document, 'contactEvents', {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::URLSuffix': 'amazonaws.com',
    'param:connectInstanceId': input.env.CONNECT_INSTANCE_ID ?? '',
    'sls:stage': input.env.STAGE ?? 'local',
    'self:service': typeof document?.service === 'string' ? document.service : 'waferwatch',
  });
  if (!target) return undefined;
  const modulePath = path.join(input.projectRoot, `${target.handler.slice(0, target.handler.lastIndexOf('.'))}.ts`);
  try {
    await access(modulePath);
  } catch {
    input.log(`contact events are not delivered: ${path.relative(input.projectRoot, modulePath)} (serverless.yml functions.contactEvents) does not exist`);
    return undefined;
  }
  const handler = await loadFunctionHandler<ContactEventHandler>(input.projectRoot, 'contactEvents');
  if (!handler) return undefined;
  return createContactEventDelivery({ target, handler, log: input.log, region, deliveryDelayMs: CONTACT_EVENT_DELIVERY_DELAY_MS });
}

/** The handlers' environment: local endpoints, dummy Connect ids and credentials, then the caller's overrides. */
function localEnvironment(input: {
  url: string;
  port: number;
  services: LocalServices;
  projectRoot: string;
  overrides: Record<string, string | undefined> | undefined;
}): Record<string, string> {
  const { url, port, services } = input;
  const defaults: Record<string, string> = {
    STAGE: 'local',
    AWS_REGION: 'us-east-1',
    // The adapters sign with dummy credentials when an endpoint is overridden; these keep any other SDK path off
    // the developer's real AWS identity.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    IMAGE_BUCKET: services.bucket,
    S3_ENDPOINT: services.s3Endpoint,
    DETECTOR: 'embedded',
    // Absolute, so the stack works whatever the working directory of the process that started it.
    EMBEDDED_MODEL_URI: path.join(input.projectRoot, 'models', 'wafer-default.wwm'),
    // The Connect emulator answers ResourceNotFoundException for any other instance or flow, as Connect does.
    CONNECT_INSTANCE_ID: services.connectInstanceId,
    CONNECT_CONTACT_FLOW_ID: services.connectContactFlowId,
    CONNECT_ENDPOINT: services.connectEndpoint,
    SQS_ENDPOINT: services.alerts.sqsEndpoint,
    ALERT_QUEUE_URL: services.alerts.alertQueueUrl,
    ALERT_DEAD_LETTER_QUEUE_URL: services.alerts.deadLetterQueueUrl,
    DYNAMODB_ENDPOINT: services.alerts.dynamoDbEndpoint,
    ALERT_STATE_TABLE: services.alerts.alertStateTable,
    // An alert that reached nobody is published to the SNS emulator (see GET /_local/notifications).
    SNS_ENDPOINT: services.alerts.snsEndpoint,
    ALERT_UNACKNOWLEDGED_TOPIC_ARN: services.alerts.unacknowledgedTopicArn,
    // A throttled call is retried after 2, 4, 8… s here rather than 10, 20, 40… s, so the demo does not stall.
    ALERT_RETRY_BASE_SECONDS: '2',
    // One place-call "container" here takes the whole of Connect's 2 calls a second (deployed: 2 containers at 1).
    CONNECT_CALLS_PER_SECOND: '2',
    OPERATOR_PHONE_NUMBER: '+15555550100',
    CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
    ALLOWED_ORIGINS: [...new Set([url, `http://localhost:${port}`, `http://127.0.0.1:${port}`])].join(','),
    POWERTOOLS_SERVICE_NAME: 'waferwatch',
    // No CloudWatch here to read EMF lines, so the handlers' metrics would only be noise on the console.
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...(services.lookoutEndpoint
      ? { LOOKOUT_ENDPOINT: services.lookoutEndpoint, LOOKOUT_PROJECT_NAME: services.lookoutProjectName!, LOOKOUT_MODEL_VERSION: services.lookoutModelVersion! }
      : {}),
    ...(services.sageMakerEndpoint ? { SAGEMAKER_RUNTIME_ENDPOINT: services.sageMakerEndpoint, SAGEMAKER_ENDPOINT_NAME: services.sageMakerEndpointName! } : {}),
  };
  const env = { ...defaults };
  for (const [name, value] of Object.entries(input.overrides ?? {})) {
    if (value !== undefined) env[name] = value;
  }
  // Origins a developer allows (another dev server serving a page, say) come on top of the stack's own, so the stack's
  // page keeps working whatever is set.
  const extraOrigins = input.overrides?.ALLOWED_ORIGINS;
  if (extraOrigins !== undefined && extraOrigins.trim() !== '') {
    const origins = [...extraOrigins.split(','), ...defaults.ALLOWED_ORIGINS!.split(',')].map((origin) => origin.trim()).filter((origin) => origin !== '');
    env.ALLOWED_ORIGINS = [...new Set(origins)].join(',');
  }
  return env;
}

/**
 * ALERT_MAX_ATTEMPTS is meant to equal the alert queue's maxReceiveCount (deployed, both are the alertMaxAttempts
 * param). Locally the queue's is fixed by the stand-ins; above it, SQS moves an alert to the dead-letter queue before
 * place-call gives up on it with its reason. Said once at start rather than refused: it is still a way to try things.
 */
function warnAboutAlertAttempts(env: Record<string, string>, services: LocalServices, log: (line: string) => void): void {
  const attempts = Number(env.ALERT_MAX_ATTEMPTS);
  if (!env.ALERT_MAX_ATTEMPTS || !Number.isFinite(attempts)) return;
  let maxReceiveCount: number;
  try {
    const redrive = services.alerts.sqs.queueAttributes(services.alerts.alertQueueUrl).RedrivePolicy;
    maxReceiveCount = Number((JSON.parse(redrive ?? '{}') as { maxReceiveCount?: unknown }).maxReceiveCount);
  } catch {
    return;
  }
  if (Number.isFinite(maxReceiveCount) && attempts > maxReceiveCount) {
    log(
      `ALERT_MAX_ATTEMPTS=${attempts} is above the local alert queue's maxReceiveCount (${maxReceiveCount}): an alert delivered ${maxReceiveCount} times is moved to the dead-letter queue before place-call gives up on it`,
    );
  }
}

/**
 * Fail at start, by name, when the embedded detector's model file is missing, instead of answering the first wafer
 * with an error. (s3:// models are checked by the handlers when they load them.)
 */
async function checkEmbeddedModel(env: Record<string, string>): Promise<void> {
  if (env.DETECTOR !== 'embedded') return;
  const uri = env.EMBEDDED_MODEL_URI ?? '';
  if (uri.startsWith('s3://')) return;
  try {
    await access(path.resolve(uri));
  } catch {
    throw new Error(
      `The embedded detector's model ${uri} does not exist. Set EMBEDDED_MODEL_URI to a model file, or DETECTOR=lookoutvision to use the Lookout for Vision emulator.`,
    );
  }
}

/**
 * Import each route's handler module (the same TypeScript files that are deployed) and pick its export. A route whose
 * module does not exist yet (a function declared in serverless.yml before its code is written) is said once in the log
 * and answered 501 NOT_IMPLEMENTED, behind its authorizer, rather than stopping the whole stack.
 */
async function loadRoutes(routes: readonly ServerlessRoute[], log: (line: string) => void): Promise<LoadedRoute[]> {
  const modules = new Map<string, Record<string, unknown>>();
  const loaded: LoadedRoute[] = [];
  for (const route of routes) {
    let module = modules.get(route.modulePath);
    if (!module) {
      try {
        await access(route.modulePath);
      } catch {
        const file = path.relative(PROJECT_ROOT, route.modulePath);
        log(`${route.method} ${route.resource} answers 501: ${file} (serverless.yml functions.${route.functionName}) does not exist`);
        loaded.push({ ...route, handler: notImplemented(file) });
        continue;
      }
      module = (await import(pathToFileURL(route.modulePath).href)) as Record<string, unknown>;
      modules.set(route.modulePath, module);
    }
    const handler = module[route.exportName];
    if (typeof handler !== 'function') {
      throw new Error(
        `${path.relative(PROJECT_ROOT, route.modulePath)} has no exported function "${route.exportName}" (serverless.yml functions.${route.functionName})`,
      );
    }
    loaded.push({ ...route, handler: handler as ProxyHandler });
  }
  return loaded;
}

function notImplemented(file: string): ProxyHandler {
  return async () => ({
    statusCode: 501,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code: 'NOT_IMPLEMENTED', message: `The local stack has no ${file} to serve this route yet.` } }),
  });
}

/** The request authorizer functions the routes name (serverless.yml), loaded like the routes' handlers. */
async function loadRequestAuthorizers(projectRoot: string, routes: readonly ServerlessRoute[]): Promise<Map<string, RequestAuthorizerHandler>> {
  const authorizers = new Map<string, RequestAuthorizerHandler>();
  for (const route of routes) {
    if (route.authorizer.kind !== 'request' || authorizers.has(route.authorizer.functionName)) continue;
    const name = route.authorizer.functionName;
    const handler = await loadFunctionHandler<RequestAuthorizerHandler>(projectRoot, name);
    if (!handler) throw new Error(`${route.method} ${route.resource} names the authorizer ${name}, which is not a function of serverless.yml`);
    authorizers.set(name, handler);
  }
  return authorizers;
}

/** A function's handler from serverless.yml (the same module that is deployed), or undefined when the project has no such function. */
async function loadFunctionHandler<Handler>(projectRoot: string, functionName: string): Promise<Handler | undefined> {
  const document = parseServerlessYaml(await readFile(path.join(projectRoot, 'serverless.yml'), 'utf8')) as {
    functions?: Record<string, { handler?: unknown }>;
  };
  const handlerPath = document?.functions?.[functionName]?.handler;
  if (typeof handlerPath !== 'string') return undefined;
  const separator = handlerPath.lastIndexOf('.');
  const modulePath = path.join(projectRoot, `${handlerPath.slice(0, separator)}.ts`);
  const module = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  const handler = module[handlerPath.slice(separator + 1)];
  if (typeof handler !== 'function') throw new Error(`${handlerPath} is not an exported function (serverless.yml functions.${functionName})`);
  return handler as Handler;
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

type RequestBody = { tooLarge: false; body: Buffer } | { tooLarge: true; received: number };

/**
 * Reads the request body, up to API Gateway's payload limit. Past it (or when Content-Length already says so) it stops
 * reading, leaves the stream paused and the connection open, and says how much it read: the caller answers 413 and
 * drains the rest (answerThenDrain), so the client is not cut off while it is still sending.
 */
function readRequestBody(request: IncomingMessage): Promise<RequestBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > API_GATEWAY_MAX_PAYLOAD_BYTES) return Promise.resolve({ tooLarge: true, received: 0 });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > API_GATEWAY_MAX_PAYLOAD_BYTES) {
        stop();
        request.pause();
        resolve({ tooLarge: true, received: size });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve({ tooLarge: false, body: Buffer.concat(chunks) });
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(new Error('The client closed the connection before it sent the whole request body.'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/**
 * Answer at once with a JSON error and `Connection: close`, then keep reading (and discarding) whatever the client is
 * still sending, and only close the connection once it has finished, as API Gateway does. Closing while the client is
 * still sending resets the connection, and a client that reads the answer only after sending its body (Node's fetch,
 * for one) then sees the reset instead of the answer. Bounded by DRAIN_LIMIT_BYTES (`alreadyReceived` counts what was
 * read before) and DRAIN_LIMIT_MS.
 */
function answerThenDrain(
  request: IncomingMessage,
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
  alreadyReceived = 0,
): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
    Connection: 'close',
  });
  // The whole answer goes out now; the response ends, and node closes the connection, once the request has.
  response.write(text);
  let received = alreadyReceived;
  const finish = () => {
    clearTimeout(timer);
    request.off('data', onData);
    request.off('end', finish);
    request.off('close', finish);
    request.off('error', finish);
    if (!response.writableEnded) response.end();
  };
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
    if (received > DRAIN_LIMIT_BYTES) finish();
  };
  const timer = setTimeout(finish, DRAIN_LIMIT_MS);
  timer.unref();
  if (request.readableEnded || request.destroyed) {
    finish();
    return;
  }
  request.on('data', onData);
  request.once('end', finish);
  request.once('close', finish);
  request.once('error', finish);
  request.resume();
}

/**
 * Holds the requests that arrive while the stack is starting. The port listens before the services are up and the
 * handler modules are loaded, so a page load or a camera's upload in the first seconds of `npm start` would otherwise
 * get no answer at all. Such a request waits until the stack is ready and is then served as any other (a browser's
 * page load simply works), for at most `waitMs`; after that it is answered 503 STARTING with Retry-After. If the start
 * fails, every waiting and later request is answered 503 START_FAILED.
 */
class StartingGate {
  private handler: RequestListener | undefined;
  private failure: string | undefined;
  private readonly waiting = new Set<{ request: IncomingMessage; response: ServerResponse; timer: NodeJS.Timeout }>();

  constructor(
    private readonly waitMs: number,
    private readonly log: (line: string) => void,
  ) {}

  readonly listener: RequestListener = (request, response) => {
    if (this.handler) {
      this.handler(request, response);
      return;
    }
    if (this.failure !== undefined) {
      this.refuseFailed(request, response);
      return;
    }
    const entry = {
      request,
      response,
      timer: setTimeout(() => {
        this.waiting.delete(entry);
        this.log(`${request.method ?? 'GET'} ${(request.url ?? '/').split('?')[0]} 503: the stack is still starting after ${this.waitMs} ms`);
        answerThenDrain(
          request,
          response,
          503,
          { error: { code: 'STARTING', message: `The local stack is still starting; try again in ${STARTING_RETRY_AFTER_SECONDS} s.` } },
          { 'Retry-After': String(STARTING_RETRY_AFTER_SECONDS) },
        );
      }, this.waitMs),
    };
    this.waiting.add(entry);
    // A client that gives up while waiting is simply forgotten.
    response.once('close', () => {
      clearTimeout(entry.timer);
      this.waiting.delete(entry);
    });
  };

  /** The stack is ready: serve the waiting requests, in the order they came, and every later one. */
  open(handler: RequestListener): void {
    this.handler = handler;
    const waiting = [...this.waiting];
    this.waiting.clear();
    if (waiting.length > 0) this.log(`${waiting.length} request(s) sent while the stack was starting are served now`);
    for (const { request, response, timer } of waiting) {
      clearTimeout(timer);
      handler(request, response);
    }
  }

  /** The start failed: answer every waiting request (and any later one) 503 START_FAILED, and wait (≤ 2 s) until they are sent. */
  async fail(error: unknown): Promise<void> {
    this.failure = error instanceof Error ? error.message : String(error);
    const waiting = [...this.waiting];
    this.waiting.clear();
    const sent = waiting.map(({ request, response, timer }) => {
      clearTimeout(timer);
      const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
      this.refuseFailed(request, response);
      return closed;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(sent), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
  }

  private refuseFailed(request: IncomingMessage, response: ServerResponse): void {
    answerThenDrain(request, response, 503, {
      error: { code: 'START_FAILED', message: `The local stack did not start: ${this.failure}` },
    });
  }
}

/** Serves one HTTP request: the local-only endpoints, the API through the handlers, or the page. */
class RequestRouter {
  constructor(
    private readonly options: {
      url: string;
      routes: LoadedRoute[];
      binaryMediaTypes: string[];
      services: LocalServices;
      phone: PhoneSimulator;
      staticRoot: string;
      log: (line: string) => void;
      /** The authorizers and usage plans in front of the routes. */
      gateway: LocalGateway;
      /** The local OpenID provider (WAFERWATCH_AUTH=on), served under LOCAL_IDENTITY_PATH. */
      identity: LocalIdentityProvider | undefined;
    },
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const rawUrl = request.url ?? '/';
    const pathname = rawUrl.split('?')[0] ?? '/';
    response.on('finish', () => {
      // The page polls the calls every second or two; only its failures are worth a line.
      if (pathname === '/_local/calls' && response.statusCode === 200) return;
      this.options.log(`${method} ${pathname} ${response.statusCode} ${Math.round(performance.now() - started)} ms`);
    });
    try {
      if (pathname === '/_local/notifications' && method === 'GET') {
        // What the SNS topic would have sent people: each alert that reached nobody.
        sendJson(response, 200, { notifications: this.options.services.alerts.sns.published() });
        return;
      }
      if (pathname === '/_local/calls' && method === 'GET') {
        sendJson(response, 200, { calls: this.options.services.calls() });
        return;
      }
      if (await this.options.phone.handle(request, response)) return;
      if (pathname.startsWith(`${LOCAL_IDENTITY_PATH}/`) && this.options.identity && (await this.options.identity.handle(request, response))) return;
      const match = matchRoute(this.options.routes, method, pathname);
      if (match) {
        const route = match.route as LoadedRoute;
        const requestId = randomUUID();
        // API Gateway's authorizer (and usage plan) decide before the function runs, from the headers alone.
        const decision = await this.options.gateway.authorize({
          method,
          url: rawUrl,
          headers: pairRawHeaders(request.rawHeaders),
          sourceIp: normaliseIp(request.socket.remoteAddress),
          requestId,
          route,
          pathParameters: match.pathParameters,
        });
        if (!decision.allowed) {
          // Answered at once; whatever body the client is still sending is read and thrown away.
          answerThenDrain(request, response, decision.status, decision.body, decision.headers);
          return;
        }
        await this.invoke(request, response, route, match.pathParameters, { requestId, decision });
        return;
      }
      // Preflight for an API path: the handlers answer OPTIONS themselves (CORS for the allowed origins).
      if (method === 'OPTIONS') {
        const anyMethod = this.options.routes.map((route) => matchRoute([route], route.method, pathname)).find((found) => found !== undefined);
        if (anyMethod) {
          await this.invoke(request, response, anyMethod.route as LoadedRoute, anyMethod.pathParameters);
          return;
        }
      }
      if (method === 'GET' || method === 'HEAD') {
        if (pathname === '/config.json') {
          sendJson(response, 200, this.pageConfig(request));
          return;
        }
        const file = await readPageFile(this.options.staticRoot, pathname);
        if (file) {
          response.writeHead(200, {
            'Content-Type': file.contentType,
            'Content-Length': file.body.byteLength,
            'Cache-Control': 'no-cache',
            'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'no-referrer',
            ...(file.contentType.startsWith('text/html') ? { 'Content-Security-Policy': pageContentSecurityPolicy(this.options.url) } : {}),
          });
          response.end(method === 'HEAD' ? undefined : file.body);
          return;
        }
      }
      // Drain what the client sent so the connection stays usable for its next request.
      request.resume();
      sendJson(response, 404, { error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${method} ${pathname}.` } });
    } catch (error) {
      this.options.log(`local stack failure on ${method} ${pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { error: { code: 'INTERNAL_ERROR', message: 'The local stack failed to serve the request.' } });
      else response.destroy();
    }
  }

  /**
   * The page's configuration: the API is this same origin, as the browser reached it, and sign-in at the local OpenID
   * provider (its issuer is the stack's URL, whichever name reached the page), or null with WAFERWATCH_AUTH=off.
   */
  private pageConfig(request: IncomingMessage): LocalPageConfig {
    const hostHeader = request.headers.host;
    // Same origin as the page whichever name reached it (localhost, 127.0.0.1, a tablet using the LAN address).
    const apiBaseUrl = hostHeader && /^[A-Za-z0-9.\-:[\]]+$/.test(hostHeader) ? `http://${hostHeader}` : this.options.url;
    const identity = this.options.identity;
    return { apiBaseUrl, auth: identity ? { authority: identity.issuer, clientId: identity.clientId, scope: PAGE_SCOPE } : null, local: true };
  }

  private async invoke(
    request: IncomingMessage,
    response: ServerResponse,
    route: LoadedRoute,
    pathParameters: Record<string, string> | null,
    gateway?: { requestId: string; decision: Extract<GatewayDecision, { allowed: true }> },
  ): Promise<void> {
    const requestId = gateway?.requestId ?? randomUUID();
    const gatewayHeaders = { 'x-amzn-RequestId': requestId };
    const read = await readRequestBody(request);
    if (read.tooLarge) {
      // Answered at once; the rest of the body is read and discarded so every client can read the answer.
      answerThenDrain(
        request,
        response,
        413,
        {
          error: {
            code: 'PAYLOAD_TOO_LARGE',
            message: `The request body is larger than API Gateway accepts (${API_GATEWAY_MAX_PAYLOAD_BYTES} bytes).`,
            maxBytes: API_GATEWAY_MAX_PAYLOAD_BYTES,
          },
        },
        gatewayHeaders,
        read.received,
      );
      return;
    }
    const body = read.body;
    const event = buildProxyEvent(
      {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: pairRawHeaders(request.rawHeaders),
        body,
        sourceIp: normaliseIp(request.socket.remoteAddress),
      },
      { resource: route.resource, pathParameters },
      { binaryMediaTypes: this.options.binaryMediaTypes, stage: 'local', requestId },
    );
    if (gateway) {
      // What the authorizer established, where API Gateway puts it for the function (request-principal.ts reads it).
      (event.requestContext as { authorizer: unknown }).authorizer = gateway.decision.authorizer;
      if (gateway.decision.apiKey) {
        event.requestContext.identity.apiKey = gateway.decision.apiKey.value;
        event.requestContext.identity.apiKeyId = gateway.decision.apiKey.id ?? null;
      }
    }
    const context = createLambdaContext(route.functionName, requestId, INTEGRATION_TIMEOUT_MS);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = Symbol('timeout');
    let result: APIGatewayProxyResult | undefined | typeof timedOut;
    try {
      result = await Promise.race([
        route.handler(event, context),
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), INTEGRATION_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      // A deployed handler that throws makes API Gateway answer 502; the details only reach the logs.
      this.options.log(`${route.functionName} threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendJson(response, 502, { message: 'Internal server error' }, gatewayHeaders);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (result === timedOut) {
      sendJson(response, 504, { message: 'Endpoint request timed out' }, gatewayHeaders);
      return;
    }
    if (!result || typeof result.statusCode !== 'number') {
      this.options.log(`${route.functionName} returned no proxy result`);
      sendJson(response, 502, { message: 'Internal server error' }, gatewayHeaders);
      return;
    }
    const http = proxyResultToHttpResponse(result);
    const headers: Array<[string, string]> = [...http.headers, ['x-amzn-RequestId', requestId]];
    if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
    headers.push(['Content-Length', String(http.body.byteLength)]);
    response.writeHead(http.statusCode, headers.flat());
    response.end(request.method === 'HEAD' ? undefined : http.body);
  }
}

function normaliseIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}
