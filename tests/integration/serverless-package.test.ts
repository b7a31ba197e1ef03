import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../functions/adapters/aws-clients';
import { toDocumentClient } from '../../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { DynamoDbStationRegistry } from '../../functions/adapters/dynamodb/dynamodb-station-registry';
import { variablesOf, type ConfigFragment } from '../../functions/config/environment';
import { CONTACT_EVENTS_CONFIG, readContactEventsConfig } from '../../functions/wiring/contact-events';
import { CREATE_UPLOAD_CONFIG, readCreateUploadConfig } from '../../functions/wiring/create-upload';
import { GET_INSPECTION_CONFIG, readGetInspectionConfig } from '../../functions/wiring/get-inspection';
import { GET_INSPECTION_IMAGE_CONFIG, readGetInspectionImageConfig } from '../../functions/wiring/get-inspection-image';
import { INSPECT_IMAGE_CONFIG, readInspectImageConfig } from '../../functions/wiring/inspect-image';
import { LIST_INSPECTIONS_CONFIG, readListInspectionsConfig } from '../../functions/wiring/list-inspections';
import { PLACE_CALL_CONFIG, readPlaceCallConfig } from '../../functions/wiring/place-call';
import { PROCESS_CAMERA_UPLOAD_CONFIG, readProcessCameraUploadConfig } from '../../functions/wiring/process-camera-upload';
import { readRecordDecisionConfig, RECORD_DECISION_CONFIG } from '../../functions/wiring/record-decision';
import { AUTHORIZE_REQUEST_CONFIG, readAuthorizeRequestConfig } from '../../functions/wiring/authorize-request';
import { REVIEW_INSPECTION_CONFIG, readReviewInspectionConfig } from '../../functions/wiring/review-inspection';
import { LIST_STATIONS_CONFIG, readListStationsConfig } from '../../functions/wiring/list-stations';
import { INSPECTION_STATS_CONFIG, readInspectionStatsConfig } from '../../functions/wiring/inspection-stats';
import {
  artifactsDir,
  extractBundles,
  extractZipEntries,
  listZipEntries,
  openZip,
  policyStatements,
  templateText,
  repoRoot,
  resourcesOfType,
  templateResource,
  usePackagedTemplate,
  type CloudFormationResource,
  type OpenedZip,
  type PolicyStatement,
  type ZipEntry,
} from '../helpers/packaged-template';
import { startAlertServices } from '../../local/alert-services';
import { toSqsEvent } from '../../local/emulators/sqs-lambda-pump';
import { startLocalAwsStandIns } from '../helpers/local-aws-stand-ins';

const FUNCTIONS = {
  inspectImage: { handler: 'functions/handlers/inspect-image.handler', method: 'POST', resource: '/inspections' },
  getInspection: { handler: 'functions/handlers/get-inspection.handler', method: 'GET', resource: '/inspections/{id}' },
  getInspectionImage: { handler: 'functions/handlers/get-inspection-image.handler', method: 'GET', resource: '/inspections/{id}/image' },
  listInspections: { handler: 'functions/handlers/list-inspections.handler', method: 'GET', resource: '/inspections' },
  listStations: { handler: 'functions/handlers/list-stations.handler', method: 'GET', resource: '/stations' },
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** Each function's own configuration, as its wiring reads it at cold start (functions/wiring/<name>.ts). */
const WIRING: Record<string, { fragments: readonly ConfigFragment[]; read: (env: Record<string, string>) => object }> = {
  inspectImage: { fragments: INSPECT_IMAGE_CONFIG, read: readInspectImageConfig },
  getInspection: { fragments: GET_INSPECTION_CONFIG, read: readGetInspectionConfig },
  getInspectionImage: { fragments: GET_INSPECTION_IMAGE_CONFIG, read: readGetInspectionImageConfig },
  listInspections: { fragments: LIST_INSPECTIONS_CONFIG, read: readListInspectionsConfig },
  listStations: { fragments: LIST_STATIONS_CONFIG, read: readListStationsConfig },
  inspectionStats: { fragments: INSPECTION_STATS_CONFIG, read: readInspectionStatsConfig },
  reviewInspection: { fragments: REVIEW_INSPECTION_CONFIG, read: readReviewInspectionConfig },
  createUpload: { fragments: CREATE_UPLOAD_CONFIG, read: readCreateUploadConfig },
  processCameraUpload: { fragments: PROCESS_CAMERA_UPLOAD_CONFIG, read: readProcessCameraUploadConfig },
  placeCall: { fragments: PLACE_CALL_CONFIG, read: readPlaceCallConfig },
  recordDecision: { fragments: RECORD_DECISION_CONFIG, read: readRecordDecisionConfig },
  contactEvents: { fragments: CONTACT_EVENTS_CONFIG, read: readContactEventsConfig },
  authorizeRequest: { fragments: AUTHORIZE_REQUEST_CONFIG, read: readAuthorizeRequestConfig },
};

const MODEL_ENTRY = 'models/wafer-default.wwm';
/** What CloudFormation's Ref of each queue would give (its URL). */
const QUEUE_URLS = {
  AlertQueue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/waferwatch-dev-AlertQueue-ABC123',
  AlertDeadLetterQueue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/waferwatch-dev-AlertDeadLetterQueue-ABC123',
} as const;
/** What CloudFormation's Ref of the other resources the environment names would give. */
const OTHER_REFS: Record<string, string> = {
  AlertStateTable: 'waferwatch-dev-AlertStateTable-ABC123',
  StationRegistryTable: 'waferwatch-dev-StationRegistryTable-ABC123',
  AlertUnacknowledgedTopic: 'arn:aws:sns:eu-west-1:123456789012:waferwatch-dev-AlertUnacknowledgedTopic-ABC123',
  CameraKeyTable: 'waferwatch-dev-CameraKeyTable-ABC123',
  UserPoolClient: '1example23456789abcdefghij',
  PeopleApiKey: 'k3y1d4b5c6',
};
/** What the pseudo parameters and the other names a Fn::Sub of the environment holds would be, deployed to dev. */
const SUB_VALUES: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  ImageBucket: 'waferwatch-dev-images-123456789012-eu-west-1',
  UserPool: 'eu-west-1_AbCdEf123',
  'SiteDistribution.DomainName': 'd111111abcdef8.cloudfront.net',
};
/** Services whose statements must always name resources (issue 7). */
const SCOPED_SERVICES = ['s3', 'lookoutvision', 'connect', 'sqs', 'dynamodb', 'sns'];

type Statement = PolicyStatement;

const template = usePackagedTemplate(({ packageMs }) => {
  if (packageMs !== undefined) console.info(`npm run package took ${(packageMs / 1000).toFixed(1)} s`);
});

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);

function lambdaFunction(name: string): CloudFormationResource {
  const logicalId = `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
  return resource(logicalId);
}

/** Evaluate a template condition as CloudFormation would for this package (Fn::Equals/Not/And/Or over literals). */
function evaluateCondition(expression: unknown): boolean {
  const node = expression as Record<string, unknown[]>;
  if (typeof expression === 'object' && expression !== null && 'Condition' in expression) {
    return evaluateCondition(template().Conditions?.[(expression as { Condition: string }).Condition]);
  }
  if (node['Fn::Equals']) {
    const [left, right] = node['Fn::Equals'];
    if (typeof left !== 'string' || typeof right !== 'string') throw new Error('Fn::Equals over non-literals');
    return left === right;
  }
  if (node['Fn::Not']) return !evaluateCondition(node['Fn::Not'][0]);
  if (node['Fn::And']) return node['Fn::And'].every(evaluateCondition);
  if (node['Fn::Or']) return node['Fn::Or'].some(evaluateCondition);
  throw new Error(`Unsupported condition ${JSON.stringify(expression)}`);
}

function conditionHolds(name: string): boolean {
  return evaluateCondition(template().Conditions?.[name]);
}

/** The statements a role grants in this package, conditions evaluated. */
function effectiveStatements(document: unknown): Statement[] {
  const statements = (document as { Statement: unknown[] }).Statement;
  const choose = (item: unknown): Statement[] => {
    const node = item as Record<string, unknown>;
    if (node.Ref === 'AWS::NoValue') return [];
    if (Array.isArray(node['Fn::If'])) {
      const [condition, whenTrue, whenFalse] = node['Fn::If'] as [string, unknown, unknown];
      return choose(conditionHolds(condition) ? whenTrue : whenFalse);
    }
    return [item as Statement];
  };
  return statements.flatMap(choose);
}

function roleOf(name: FunctionName): { logicalId: string; role: CloudFormationResource } {
  const roleRef = lambdaFunction(name).Properties?.Role as { 'Fn::GetAtt': [string, string] };
  expect(roleRef['Fn::GetAtt'][1]).toBe('Arn');
  const logicalId = roleRef['Fn::GetAtt'][0];
  return { logicalId, role: resource(logicalId) };
}

function roleStatements(name: FunctionName, pick: (document: unknown) => Statement[] = policyStatements): Statement[] {
  const policies = (roleOf(name).role.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
  return policies.flatMap((policy) => pick(policy.PolicyDocument));
}

const actionsOf = (statement: Statement): string[] => [statement.Action].flat();
const resourcesOf = (statement: Statement): unknown[] => [statement.Resource].flat();

/** The statements granting any action of a service. */
function statementsFor(statements: Statement[], service: string): Statement[] {
  return statements.filter((statement) => actionsOf(statement).some((action) => action.toLowerCase().startsWith(`${service}:`)));
}

/** Environment of a function with the values CloudFormation would give it here (bucket name stands in for !Ref). */
function resolvedEnvironment(name: string): Record<string, string> {
  const variables = (lambdaFunction(name).Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const node = value as Record<string, unknown>;
    if (node.Ref === 'ImageBucket') return SUB_VALUES.ImageBucket as string;
    if (typeof node.Ref === 'string' && node.Ref in QUEUE_URLS) return QUEUE_URLS[node.Ref as keyof typeof QUEUE_URLS];
    if (typeof node.Ref === 'string' && node.Ref in OTHER_REFS) return OTHER_REFS[node.Ref] as string;
    if (Array.isArray(node['Fn::If'])) {
      const [condition, whenTrue, whenFalse] = node['Fn::If'] as [string, unknown, unknown];
      return resolve(conditionHolds(condition) ? whenTrue : whenFalse);
    }
    if (node['Fn::Sub'] !== undefined) {
      const [text, variables] = typeof node['Fn::Sub'] === 'string' ? [node['Fn::Sub'], {}] : (node['Fn::Sub'] as [string, Record<string, unknown>]);
      return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
        if (name in variables) return resolve(variables[name]);
        if (name in SUB_VALUES) return SUB_VALUES[name] as string;
        throw new Error(`Cannot resolve ${whole} in ${JSON.stringify(value)}`);
      });
    }
    // The contact flow id, cut from the deployed flow's ARN.
    if (Array.isArray(node['Fn::Select']) && JSON.stringify(node).includes('WaferAnomalyAlertFlow')) return 'f1ee7c0d-0000-4000-8000-000000000001';
    throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
  };
  return Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, resolve(value)]));
}

/** Run an ES module snippet in a fresh node process (a cold start) and return the JSON after each `RESULT ` line. */
function runProbe(probe: string, cwd: string, env: Record<string, string>): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', probe], { cwd, env, timeout: 60_000 }, (error, out, err) => {
      if (error) reject(new Error(`${error.message}\n${out}\n${err}`));
      else
        resolve(
          out
            .split('\n')
            .filter((line) => line.startsWith('RESULT '))
            .map((line) => JSON.parse(line.slice('RESULT '.length)) as unknown),
        );
    });
  });
}

async function zipEntries(name: FunctionName): Promise<ZipEntry[]> {
  return listZipEntries(path.join(artifactsDir, `${name}.zip`));
}

describe('npm run package (osls + serverless-esbuild, offline)', () => {
  it('defines the API functions on nodejs22.x arm64 with their handlers', () => {
    // Prepare
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');

    // Act
    const handlers = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, lambdaFunction(name).Properties?.Handler]));

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(FUNCTION_NAMES.length);
    for (const [logicalId, fn] of functions) {
      expect(fn.Properties?.Runtime, logicalId).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures, logicalId).toEqual(['arm64']);
    }
    expect(handlers).toEqual(Object.fromEntries(FUNCTION_NAMES.map((name) => [name, FUNCTIONS[name].handler])));
  });

  it('packages one bundle per function, with the handler module where Lambda looks for it', async () => {
    for (const name of FUNCTION_NAMES) {
      // Prepare
      const modulePath = `${FUNCTIONS[name].handler.replace(/\.handler$/, '')}.mjs`;

      // Act
      const names = (await zipEntries(name)).map((entry) => entry.name);

      // Assess
      expect(names, name).toContain(modulePath);
      const otherHandlers = FUNCTION_NAMES.filter((other) => other !== name).map((other) => `${FUNCTIONS[other].handler.replace(/\.handler$/, '')}.mjs`);
      expect(
        names.filter((entry) => otherHandlers.includes(entry)),
        name,
      ).toEqual([]);
    }
  });

  it("ships in every zip exactly its own bundle's chunks, and every chunk its bundle imports", async () => {
    // Prepare: every packaged function's zip.
    const zips = (await readdir(artifactsDir)).filter((name) => name.endsWith('.zip'));
    expect(zips.length).toBeGreaterThan(FUNCTION_NAMES.length);
    for (const zip of zips) {
      const opened = await openZip(path.join(artifactsDir, zip));
      const names = opened.entries.map((entry) => entry.name);
      const entries = names.filter((name) => /^functions\/handlers\/[^/]+\.mjs$/.test(name));
      expect(entries, zip).toHaveLength(1);
      const entry = entries[0]!;

      // Act: follow the bundle's imports of chunks (static and dynamic), from the entry outwards.
      const reached = new Set<string>([entry]);
      const pending = [entry];
      while (pending.length > 0) {
        const file = pending.pop()!;
        const text = opened.read(file).toString('utf8');
        for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+\.mjs)["']/g)) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]!));
          if (!reached.has(target)) {
            reached.add(target);
            pending.push(target);
          }
        }
      }

      // Assess: every chunk reached is in the zip, and the zip holds no chunk folder but its own.
      const chunkFolder = `${entry.replace(/\.mjs$/, '')}.chunks/`;
      expect(
        [...reached].filter((file) => !names.includes(file)),
        zip,
      ).toEqual([]);
      expect(
        [...reached].filter((file) => file !== entry && !file.startsWith(chunkFolder)),
        zip,
      ).toEqual([]);
      expect(
        names.filter((name) => name.includes('.chunks/') && !name.startsWith(chunkFolder)),
        zip,
      ).toEqual([]);
      expect(reached.size, zip).toBeGreaterThan(1);
    }
  });

  it('packages contactEvents (the Connect contact events consumer) as a bundle of its own, without sharp', async () => {
    // Act
    const names = (await listZipEntries(path.join(artifactsDir, 'contactEvents.zip'))).map((entry) => entry.name);

    // Assess
    expect(lambdaFunction('contactEvents').Properties?.Handler).toBe('functions/handlers/contact-events.handler');
    expect(names).toContain('functions/handlers/contact-events.mjs');
    expect(names.filter((entry) => /(^|\/)(sharp|@img)\//.test(entry) || entry.endsWith('.node'))).toEqual([]);
    expect(names).not.toContain(MODEL_ENTRY);
  });

  it('cold-starts the packaged contactEvents bundle with the environment the template gives it', async () => {
    // Prepare: the bundle as Lambda unpacks it; its dependencies resolve from the repository's node_modules.
    const workDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-bundle-'));
    await extractBundles(path.join(artifactsDir, 'contactEvents.zip'), ['functions/handlers/contact-events.mjs'], workDir);
    await symlink(path.join(repoRoot, 'node_modules'), path.join(workDir, 'node_modules'));
    const probe = `const { handler } = await import('./functions/handlers/contact-events.mjs'); console.log('RESULT ' + JSON.stringify(typeof handler));`;

    try {
      // Act: importing builds the dependencies from the environment, as the init phase does (no AWS call is made).
      const [handlerType] = await runProbe(probe, workDir, { PATH: process.env.PATH ?? '', ...resolvedEnvironment('contactEvents'), AWS_REGION: 'eu-west-1' });

      // Assess
      expect(handlerType).toBe('function');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('cold-starts the packaged request authorizer bundle with the environment the template gives it', async () => {
    // Prepare
    const workDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-bundle-'));
    await extractBundles(path.join(artifactsDir, 'authorizeRequest.zip'), ['functions/handlers/authorize-request.mjs'], workDir);
    await symlink(path.join(repoRoot, 'node_modules'), path.join(workDir, 'node_modules'));
    const probe = `const { handler } = await import('./functions/handlers/authorize-request.mjs'); console.log('RESULT ' + JSON.stringify(typeof handler));`;
    const environment = resolvedEnvironment('authorizeRequest');

    try {
      // Act: importing parses the issuer, client, key table and people key id, as the init phase does (no AWS call).
      const [handlerType] = await runProbe(probe, workDir, { PATH: process.env.PATH ?? '', ...environment, AWS_REGION: 'eu-west-1' });

      // Assess
      expect(handlerType).toBe('function');
      expect(environment).toMatchObject({
        AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
        AUTH_CLIENT_ID: OTHER_REFS.UserPoolClient,
        CAMERA_KEY_TABLE: OTHER_REFS.CameraKeyTable,
        PEOPLE_API_KEY_ID: OTHER_REFS.PeopleApiKey,
      });
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('serves the routes from a REST API (Lambda proxy) that treats images, octet streams and multipart as binary', () => {
    // Prepare
    const [[, restApi] = []] = resourcesOfType(template(), 'AWS::ApiGateway::RestApi');
    const pathOf = (resourceRef: unknown): string => {
      const ref = resourceRef as { Ref?: string; 'Fn::GetAtt'?: string[] };
      if (ref['Fn::GetAtt']) return '';
      const apiResource = resource(ref.Ref as string);
      return `${pathOf(apiResource.Properties?.ParentId)}/${apiResource.Properties?.PathPart as string}`;
    };

    // Act
    const methods = resourcesOfType(template(), 'AWS::ApiGateway::Method').map(([, method]) => {
      const properties = method.Properties as Record<string, any>;
      return {
        route: `${properties.HttpMethod as string} ${pathOf(properties.ResourceId)}`,
        integration: properties.Integration as Record<string, any>,
      };
    });

    // Assess
    expect(restApi?.Properties?.BinaryMediaTypes).toEqual(expect.arrayContaining(['image/*', 'application/octet-stream', 'multipart/form-data']));
    for (const name of FUNCTION_NAMES) {
      const route = methods.find((method) => method.route === `${FUNCTIONS[name].method} ${FUNCTIONS[name].resource}`);
      expect(route, name).toBeDefined();
      expect(route?.integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(route?.integration.Uri)).toContain(`${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`);
    }
  });

  it("answers in the API's JSON error shape when API Gateway itself rejects or fails a request", () => {
    // Act
    const responses = resourcesOfType(template(), 'AWS::ApiGateway::GatewayResponse').map(([, response]) => response.Properties as Record<string, any>);

    // Assess
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      const response = responses.find((candidate) => candidate.ResponseType === type);
      expect(response, type).toBeDefined();
      const body = response?.ResponseTemplates['application/json'] as string;
      // Fill the mapping variables as API Gateway would and the result must be the API's error JSON.
      const rendered = body
        .replace('$context.error.responseType', 'REQUEST_TOO_LARGE')
        .replace('$context.error.messageString', JSON.stringify('Request Too Long'));
      expect(JSON.parse(rendered)).toEqual({ error: { code: 'REQUEST_TOO_LARGE', message: 'Request Too Long' } });
      expect(response?.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/json; charset=utf-8'");
    }
  });

  it('answers CORS preflight for the configured origins only, never "*"', () => {
    // Prepare
    const allowedOrigins = readInspectImageConfig(resolvedEnvironment('inspectImage')).ALLOWED_ORIGINS;

    // Act
    const preflights = resourcesOfType(template(), 'AWS::ApiGateway::Method')
      .map(([, method]) => method.Properties as Record<string, any>)
      .filter((properties) => properties.HttpMethod === 'OPTIONS');

    // Assess
    // One per API resource: /inspections, /inspections/{id}, /uploads and /stations.
    expect(preflights.length).toBeGreaterThanOrEqual(4);
    expect(allowedOrigins.length).toBeGreaterThan(0);
    for (const preflight of preflights) {
      expect(preflight.Integration.Type).toBe('MOCK');
      const [response] = preflight.Integration.IntegrationResponses as Array<{ ResponseParameters: Record<string, string> }>;
      // The site's CloudFront domain is a Fn::Sub; fill it in as the functions' list has it, and compare.
      const origin = templateText(response?.ResponseParameters['method.response.header.Access-Control-Allow-Origin']);
      expect(origin).not.toContain('*');
      expect(allowedOrigins).toContain(
        origin?.replace(/^'|'$/g, '').replace('${SiteDistribution.DomainName}', SUB_VALUES['SiteDistribution.DomainName'] as string),
      );
    }
  });

  it('gives each API function the configuration its wiring reads, valid at cold start', () => {
    for (const name of FUNCTION_NAMES) {
      // Prepare
      const environment = resolvedEnvironment(name);

      // Act
      const config = WIRING[name]!.read(environment) as { STAGE: string; ALLOWED_ORIGINS: string[] };

      // Assess
      expect(config.STAGE, name).toBe('dev');
      expect(config.ALLOWED_ORIGINS, name).not.toContain('*');
      expect(lambdaFunction(name).Properties?.Environment).toMatchObject({ Variables: { IMAGE_BUCKET: { Ref: 'ImageBucket' } } });
      for (const localOnly of ['S3_ENDPOINT', 'LOOKOUT_ENDPOINT', 'CONNECT_ENDPOINT', 'SAGEMAKER_RUNTIME_ENDPOINT', 'APIGATEWAY_ENDPOINT', 'DYNAMODB_ENDPOINT'])
        expect(environment, name).not.toHaveProperty(localOnly);
    }
    const inspect = readInspectImageConfig(resolvedEnvironment('inspectImage'));
    expect(inspect.DETECTOR).toBe('embedded');
    // The bundled model resolves from the Lambda working directory, /var/task, where the zip is unpacked.
    expect(inspect.EMBEDDED_MODEL_URI).toBe(MODEL_ENTRY);
  });

  it('gives the queue-fed, event-fed and upload functions a configuration valid at cold start too, the alert settings included', () => {
    for (const name of ['placeCall', 'processCameraUpload', 'createUpload', 'contactEvents', 'recordDecision']) {
      // Prepare
      const environment = resolvedEnvironment(name);

      // Act: each function parses only the fragments its wiring names.
      const parse = () => WIRING[name]!.read(environment);

      // Assess
      expect(parse, name).not.toThrow();
      expect(environment.STAGE, name).toBe('dev');
      expect(environment, name).toMatchObject({
        ALERT_QUEUE_URL: QUEUE_URLS.AlertQueue,
        ALERT_DEAD_LETTER_QUEUE_URL: QUEUE_URLS.AlertDeadLetterQueue,
        ALERT_MAX_ATTEMPTS: '5',
        STATION_CALL_COOLDOWN_SECONDS: '300',
        DAILY_CALL_CAP: '100',
        IMAGE_DEDUPE_TTL_SECONDS: '1209600',
        STATION_REGISTRY_TABLE: OTHER_REFS.StationRegistryTable,
        ACK_TIMEOUT_SECONDS: '120',
        ESCALATION_LOOPS: '2',
        ALERT_UNACKNOWLEDGED_TOPIC_ARN: OTHER_REFS.AlertUnacknowledgedTopic,
      });
      for (const localOnly of ['S3_ENDPOINT', 'CONNECT_ENDPOINT', 'SQS_ENDPOINT', 'DYNAMODB_ENDPOINT']) expect(environment, name).not.toHaveProperty(localOnly);
    }
  });

  it('has a wiring for every function, and only placeCall reads Connect ids or phone numbers', () => {
    // Prepare
    const functionNames = resourcesOfType(template(), 'AWS::Lambda::Function').map(([logicalId]) => logicalId.replace(/LambdaFunction$/, ''));
    const calling = ['CONNECT_INSTANCE_ID', 'CONNECT_CONTACT_FLOW_ID', 'CONNECT_SOURCE_PHONE_NUMBER', 'OPERATOR_PHONE_NUMBER'];

    // Act
    const readers = Object.entries(WIRING).map(([name, { fragments }]) => ({ name, variables: variablesOf(fragments) }));

    // Assess
    expect(
      Object.keys(WIRING)
        .map((name) => name.charAt(0).toUpperCase() + name.slice(1))
        .sort(),
    ).toEqual(functionNames.sort());
    for (const { name, variables } of readers) {
      expect(
        variables.filter((variable) => calling.includes(variable)),
        name,
      ).toEqual(name === 'placeCall' ? calling : []);
      // Whatever a function reads is in its deployed environment, or has a default, or is a local override.
      const environment = resolvedEnvironment(name);
      expect(() => WIRING[name]!.read(environment), name).not.toThrow();
    }
  });

  it('keeps every bucket private, encrypted, TLS-only; the image bucket also versioned with a retention rule', () => {
    // Prepare
    const buckets = resourcesOfType(template(), 'AWS::S3::Bucket');
    const policies = resourcesOfType(template(), 'AWS::S3::BucketPolicy');

    // Act
    const imageBucket = resource('ImageBucket').Properties as Record<string, any>;

    // Assess
    expect(buckets.map(([logicalId]) => logicalId)).toContain('ImageBucket');
    for (const [logicalId, bucket] of buckets) {
      const properties = bucket.Properties as Record<string, any>;
      expect(properties.PublicAccessBlockConfiguration, logicalId).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const [rule] = properties.BucketEncryption.ServerSideEncryptionConfiguration as Array<Record<string, any>>;
      expect(['AES256', 'aws:kms', 'aws:kms:dsse'], logicalId).toContain(rule?.ServerSideEncryptionByDefault.SSEAlgorithm);
      const policy = policies.find(([, candidate]) => (candidate.Properties?.Bucket as { Ref?: string }).Ref === logicalId);
      const denyPlainHttp = policyStatements(policy?.[1].Properties?.PolicyDocument).find(
        (statement) => statement.Effect === 'Deny' && String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false',
      );
      expect(denyPlainHttp, logicalId).toBeDefined();
      expect(actionsOf(denyPlainHttp as Statement), logicalId).toContain('s3:*');
      const denied = resourcesOf(denyPlainHttp as Statement).map(templateText);
      expect(
        denied.some((text) => text.endsWith('/*')),
        `${logicalId} objects`,
      ).toBe(true);
      expect(
        denied.some((text) => !text.endsWith('/*')),
        `${logicalId} bucket`,
      ).toBe(true);
    }
    expect(imageBucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(imageBucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    const retention = (imageBucket.LifecycleConfiguration.Rules as Array<Record<string, any>>).find((rule) => rule.Prefix === 'inspections/');
    expect(retention?.Status).toBe('Enabled');
    expect(retention?.ExpirationInDays).toBeGreaterThan(0);
  });

  it('gives each function a role of its own', () => {
    // Prepare
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');

    // Act
    const roles = functions.map(([, fn]) => {
      const logicalId = (fn.Properties?.Role as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? '';
      return { logicalId, role: resource(logicalId) };
    });

    // Assess
    expect(new Set(roles.map((role) => role.logicalId)).size).toBe(functions.length);
    expect(FUNCTION_NAMES.map((name) => roleOf(name).logicalId)).toEqual([
      'InspectImageRole',
      'GetInspectionRole',
      'GetInspectionImageRole',
      'ListInspectionsRole',
      'ListStationsRole',
    ]);
    for (const { logicalId, role } of roles) {
      expect(role.Type, logicalId).toBe('AWS::IAM::Role');
      const trust = role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] };
      expect(trust.Statement, logicalId).toEqual([
        expect.objectContaining({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }),
      ]);
      expect(role.Properties?.ManagedPolicyArns, logicalId).toBeUndefined();
    }
  });

  it('never grants an S3, Lookout for Vision, Connect, SQS, DynamoDB or SNS action on "*"', () => {
    // Prepare
    const policyDocuments = [
      ...resourcesOfType(template(), 'AWS::IAM::Role').flatMap(([, role]) =>
        ((role.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map((policy) => policy.PolicyDocument),
      ),
      ...resourcesOfType(template(), 'AWS::IAM::Policy').map(([, policy]) => policy.Properties?.PolicyDocument),
      ...resourcesOfType(template(), 'AWS::IAM::ManagedPolicy').map(([, policy]) => policy.Properties?.PolicyDocument),
    ];

    // Act
    const statements = policyDocuments.flatMap(policyStatements).filter((statement) => statement.Effect === 'Allow');
    const scoped = SCOPED_SERVICES.flatMap((service) => statementsFor(statements, service));

    // Assess
    expect(scoped.length).toBeGreaterThan(0);
    for (const statement of scoped) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/:\*$|^\*$/);
      for (const text of resourcesOf(statement).map(templateText)) {
        expect(text, JSON.stringify(statement)).not.toBe('*');
        expect(text).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
      }
    }
  });

  it('lets the inspect function write and read inspections, run the model, and publish alerts instead of calling', () => {
    // Prepare
    const statements = roleStatements('inspectImage');
    const environment = resolvedEnvironment('inspectImage');

    // Act
    const s3 = statementsFor(statements, 's3');
    const lookout = statementsFor(statements, 'lookoutvision');
    const connect = statementsFor(statements, 'connect');
    const sqs = statementsFor(statements, 'sqs');

    // Assess
    const inspectionObjects = s3.find((statement) => resourcesOf(statement).map(templateText).includes('${ImageBucket.Arn}/inspections/*'));
    expect(actionsOf(inspectionObjects as Statement).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    for (const statement of s3) {
      expect(actionsOf(statement).every((action) => ['s3:GetObject', 's3:PutObject'].includes(action))).toBe(true);
      for (const text of resourcesOf(statement).map(templateText)) expect(text).toMatch(/^\$\{ImageBucket\.Arn\}\/(inspections\/\*|models\/\*|models\/[^*]+)$/);
    }
    expect(lookout).toHaveLength(1);
    expect(actionsOf(lookout[0] as Statement)).toEqual(['lookoutvision:DetectAnomalies']);
    expect(resourcesOf(lookout[0] as Statement).map(templateText)).toEqual([
      `arn:\${AWS::Partition}:lookoutvision:\${AWS::Region}:\${AWS::AccountId}:model/${environment.LOOKOUT_PROJECT_NAME}/${environment.LOOKOUT_MODEL_VERSION}`,
    ]);
    // DETECTOR=sagemaker: InvokeEndpoint on the one configured endpoint, in both inspecting functions, nothing wider.
    const sagemaker = statementsFor(statements, 'sagemaker');
    expect(sagemaker).toHaveLength(1);
    expect(actionsOf(sagemaker[0] as Statement)).toEqual(['sagemaker:InvokeEndpoint']);
    expect(resourcesOf(sagemaker[0] as Statement).map(templateText)).toEqual([
      `arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:endpoint/${environment.SAGEMAKER_ENDPOINT_NAME}`,
    ]);
    expect(statementsFor(roleStatements('processCameraUpload' as FunctionName), 'sagemaker')).toEqual(sagemaker);
    // The call is placeCall's (tests/integration/alert-queue-template.test.ts); an anomaly only queues an alert.
    expect(connect).toEqual([]);
    expect(sqs.flatMap(actionsOf)).toEqual(['sqs:SendMessage']);
    expect(sqs.flatMap(resourcesOf).map(templateText)).toEqual(['GetAtt:AlertQueue.Arn']);
    expect(environment.ALERT_QUEUE_URL).toBe(QUEUE_URLS.AlertQueue);
  });

  it('grants Lookout for Vision only when it is the configured detector', () => {
    // Act
    const granted = statementsFor(roleStatements('inspectImage', effectiveStatements), 'lookoutvision');

    // Assess
    expect(resolvedEnvironment('inspectImage').DETECTOR).toBe('embedded');
    expect(granted).toEqual([]);
  });

  it("lets the read functions only read inspections (and camera uploads' state), and list them only under inspections/", () => {
    // Act
    const getStatements = roleStatements('getInspection');
    const imageStatements = roleStatements('getInspectionImage');
    const listStatements = roleStatements('listInspections');

    // Assess
    // ListBucket on the bucket itself (names only) is what makes S3 answer 404, not 403, for an unknown id.
    expect(statementsFor(getStatements, 's3')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${ImageBucket.Arn}/inspections/*' } }),
      // A camera's pending upload (HeadObject) and the reason note of a refused one, nothing else there.
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: [{ 'Fn::Sub': '${ImageBucket.Arn}/incoming/*' }, { 'Fn::Sub': '${ImageBucket.Arn}/rejected/*.json' }],
      }),
      expect.objectContaining({ Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['ImageBucket', 'Arn'] } }),
    ]);
    // The viewer's photo: the record and the image beside it under inspections/, and nothing of the camera path.
    expect(statementsFor(imageStatements, 's3')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${ImageBucket.Arn}/inspections/*' } }),
      expect.objectContaining({ Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['ImageBucket', 'Arn'] } }),
    ]);
    const listing = statementsFor(listStatements, 's3').find((statement) => actionsOf(statement).includes('s3:ListBucket'));
    expect(actionsOf(listing as Statement)).toEqual(['s3:ListBucket']);
    expect(resourcesOf(listing as Statement).map(templateText)).toEqual(['GetAtt:ImageBucket.Arn']);
    expect(listing?.Condition).toEqual({ StringLike: { 's3:prefix': ['inspections/*'] } });
    const reading = statementsFor(listStatements, 's3').filter((statement) => statement !== listing);
    expect(reading.flatMap(actionsOf)).toEqual(['s3:GetObject']);
    expect(reading.flatMap(resourcesOf).map(templateText)).toEqual(['${ImageBucket.Arn}/inspections/*']);
    for (const statements of [getStatements, imageStatements, listStatements]) {
      expect(statementsFor(statements, 'connect')).toEqual([]);
      expect(statementsFor(statements, 'lookoutvision')).toEqual([]);
      expect(statements.flatMap(actionsOf)).not.toContain('s3:PutObject');
    }
  });

  it("scopes each function's log permissions to its own log group", () => {
    for (const name of FUNCTION_NAMES) {
      // Prepare
      const functionName = lambdaFunction(name).Properties?.FunctionName as string;

      // Act
      const logs = statementsFor(roleStatements(name), 'logs');

      // Assess
      expect(logs.length, name).toBeGreaterThan(0);
      for (const statement of logs) {
        expect(resourcesOf(statement).map(templateText), name).toEqual([
          `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`,
        ]);
      }
    }
  });

  it("ships sharp's addon and libvips for linux-arm64, and no other platform's, in every zip whose bundle decodes images", async () => {
    // Prepare: every packaged function, and whether its bundle carries sharp (its JavaScript is bundled, esbuild-plugins.cjs).
    const zips = (await readdir(artifactsDir)).filter((name) => name.endsWith('.zip'));
    const carriesSharp = (opened: OpenedZip) =>
      opened.entries
        .filter((entry) => /^functions\/handlers\/[^/]+(\.chunks\/[^/]+)?\.mjs$/.test(entry.name))
        .some((entry) => opened.read(entry.name).toString('utf8').includes('@img/sharp-linux-arm64/sharp.node'));

    // Act
    const packages = await Promise.all(
      zips.map(async (zip) => {
        const opened = await openZip(path.join(artifactsDir, zip));
        return { zip, sharp: carriesSharp(opened), names: opened.entries.map((entry) => entry.name) };
      }),
    );

    // Assess: the image-decoding functions are the ones with sharp, and each ships exactly the addon and libvips it loads.
    expect(
      packages
        .filter((item) => item.sharp)
        .map((item) => item.zip)
        .sort(),
    ).toEqual(['inspectImage.zip', 'processCameraUpload.zip']);
    for (const { zip, sharp, names } of packages) {
      const platformPackages = [...new Set(names.flatMap((entry) => /^node_modules\/@img\/(sharp-[^/]+)\//.exec(entry)?.[1] ?? []))].sort();
      expect(platformPackages, zip).toEqual(sharp ? ['sharp-libvips-linux-arm64', 'sharp-linux-arm64'] : []);
      if (sharp) {
        expect(
          names.some((entry) => /^node_modules\/@img\/sharp-linux-arm64\/lib\/[^/]+\.node$/.test(entry)),
          zip,
        ).toBe(true);
        expect(
          names.some((entry) => /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so[.\d]*$/.test(entry)),
          zip,
        ).toBe(true);
      }
      // sharp's JavaScript is in the bundle, not beside it; no other platform's binary, and every entry once.
      expect(
        names.filter((entry) => entry.startsWith('node_modules/sharp/')),
        zip,
      ).toEqual([]);
      expect(
        names.filter((entry) => entry.endsWith('.node') && !/linux[-/]arm64/.test(entry)),
        zip,
      ).toEqual([]);
      expect(names.length, zip).toBe(new Set(names).size);
    }
  });

  it("keeps every function package within Lambda's limits (50 MB zipped, 250 MB unzipped)", async () => {
    for (const name of FUNCTION_NAMES) {
      // Prepare
      const zipped = await stat(path.join(artifactsDir, `${name}.zip`));

      // Act
      const unzipped = (await zipEntries(name)).reduce((total, entry) => total + entry.uncompressedSize, 0);

      // Assess
      expect(zipped.size, name).toBeLessThan(50 * 1024 * 1024);
      expect(unzipped, name).toBeLessThan(250 * 1024 * 1024);
    }
  });

  it('ships the default embedded model inside the inspect zip, byte for byte', async () => {
    // Prepare
    const onDisk = await stat(path.join(repoRoot, MODEL_ENTRY));

    // Act
    const model = (await zipEntries('inspectImage')).find((entry) => entry.name === MODEL_ENTRY);

    // Assess
    expect(model?.uncompressedSize).toBe(onDisk.size);
  });

  it('inspects shipped wafer photos through the packaged inspect bundle, queues the anomaly, and rings through the packaged placeCall bundle', async () => {
    // Prepare: unpack the bundles and the model as Lambda would see them under /var/task; sharp resolves from the
    // repository's node_modules (this machine's platform), since the arm64 binaries in the zip cannot load here.
    // The alert queue is built with the template's own redrive count. As deployed, there is a station registry
    // (STATION_REGISTRY_TABLE); the uploads come from a camera key of station `default` (the request authorizer's context)
    // and name no station, so they belong to `default`, whose ladder rings the operator.
    const maxReceiveCount = Number((resource('AlertQueue').Properties?.RedrivePolicy as { maxReceiveCount: unknown }).maxReceiveCount);
    const standIns = await startLocalAwsStandIns();
    const alerts = await startAlertServices({ maxReceiveCount, stationRegistry: true });
    const stationRegistryTable = alerts.stationRegistryTable as string;
    await new DynamoDbStationRegistry({
      client: toDocumentClient(createDynamoDbClient({ region: standIns.names.region, endpoint: alerts.dynamoDbEndpoint })),
      tableName: stationRegistryTable,
      allowedPrefixes: [resolvedEnvironment('placeCall').OPERATOR_COUNTRY_PREFIXES as string],
      cacheSeconds: 0,
    }).importStations([
      { id: 'default', name: 'Default station', escalation: [{ contacts: [{ name: 'Line operator', phone: standIns.names.operatorPhoneNumber }] }] },
    ]);
    const workDir = await mkdtemp(path.join(tmpdir(), 'waferwatch-bundle-'));
    await extractBundles(path.join(artifactsDir, 'inspectImage.zip'), ['functions/handlers/inspect-image.mjs'], workDir);
    await extractZipEntries(path.join(artifactsDir, 'inspectImage.zip'), [MODEL_ENTRY], workDir);
    await extractBundles(path.join(artifactsDir, 'placeCall.zip'), ['functions/handlers/place-call.mjs'], workDir);
    await symlink(path.join(repoRoot, 'node_modules'), path.join(workDir, 'node_modules'));
    const photos = [path.join(repoRoot, 'samples/wafer-photos/good/120_wafer.jpg'), path.join(repoRoot, 'samples/wafer-photos/anomalous/120_scratch.jpg')];
    const { names } = standIns;
    const environment = (name: string) => ({
      PATH: process.env.PATH ?? '',
      ...resolvedEnvironment(name),
      AWS_REGION: names.region,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      IMAGE_BUCKET: names.bucket,
      S3_ENDPOINT: standIns.s3.endpoint,
      CONNECT_ENDPOINT: standIns.connect.endpoint,
      CONNECT_INSTANCE_ID: names.connectInstanceId,
      CONNECT_CONTACT_FLOW_ID: names.connectContactFlowId,
      CONNECT_SOURCE_PHONE_NUMBER: names.sourcePhoneNumber,
      OPERATOR_PHONE_NUMBER: names.operatorPhoneNumber,
      SQS_ENDPOINT: alerts.sqsEndpoint,
      DYNAMODB_ENDPOINT: alerts.dynamoDbEndpoint,
      ALERT_QUEUE_URL: alerts.alertQueueUrl,
      ALERT_DEAD_LETTER_QUEUE_URL: alerts.deadLetterQueueUrl,
      ALERT_STATE_TABLE: alerts.alertStateTable,
      STATION_REGISTRY_TABLE: stationRegistryTable,
      INSPECT_PHOTOS: JSON.stringify(photos),
    });
    // One API Gateway proxy event per photo (raw JPEG body, base64 as API Gateway sends binary media types).
    const inspectProbe = `
      import { readFileSync } from 'node:fs';
      const { handler } = await import('./functions/handlers/inspect-image.mjs');
      for (const photo of JSON.parse(process.env.INSPECT_PHOTOS)) {
        const event = {
          httpMethod: 'POST', path: '/inspections', resource: '/inspections',
          headers: { 'Content-Type': 'image/jpeg' }, multiValueHeaders: { 'Content-Type': ['image/jpeg'] },
          queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
          requestContext: { requestId: 'package-smoke', httpMethod: 'POST', path: '/inspections', resourcePath: '/inspections',
            // What the request authorizer hands on for a camera key of the default station.
            authorizer: { principalId: 'camera:k3y1d', callerKind: 'camera', keyId: 'k3y1d', stationId: 'default' } },
          body: readFileSync(photo).toString('base64'), isBase64Encoded: true,
        };
        const context = { awsRequestId: 'package-smoke', functionName: 'waferwatch-dev-inspectImage', getRemainingTimeInMillis: () => 29000 };
        const response = await handler(event, context, () => {});
        console.log('RESULT ' + JSON.stringify(response));
      }`;
    // The SQS event Lambda's event source mapping would deliver (SQS_EVENT, from the queue's received messages).
    const placeCallProbe = `
      const { handler } = await import('./functions/handlers/place-call.mjs');
      const context = { awsRequestId: 'package-smoke', functionName: 'waferwatch-dev-placeCall', getRemainingTimeInMillis: () => 30000 };
      console.log('RESULT ' + JSON.stringify(await handler(JSON.parse(process.env.SQS_EVENT), context, () => {})));`;

    try {
      // Act
      const responses = (await runProbe(inspectProbe, workDir, environment('inspectImage'))) as Array<{ statusCode: number; body: string }>;
      const queued = alerts.sqs.messages(alerts.alertQueueUrl);
      const received = alerts.sqs.receive(alerts.alertQueueUrl, { maxNumberOfMessages: 5 });
      const sqsEvent = toSqsEvent(received, alerts.sqs.queueArn(alerts.alertQueueUrl), names.region);
      const [batch] = await runProbe(placeCallProbe, workDir, { ...environment('placeCall'), SQS_EVENT: JSON.stringify(sqsEvent) });

      // Assess
      expect(responses.map((response) => response.statusCode)).toEqual([201, 201]);
      const [good, anomalous] = responses.map((response) => JSON.parse(response.body) as Record<string, any>);
      expect(good?.detection?.IsAnomalous).toBe(false);
      expect(good?.alert?.status).toBe('skipped');
      expect(anomalous?.detection?.IsAnomalous).toBe(true);
      expect(anomalous?.alert?.status).toBe('queued');
      // Only the anomaly was queued, and the inspect bundle placed no call itself.
      expect(queued.map((message) => (JSON.parse(message.body) as { inspectionId: string }).inspectionId)).toEqual([anomalous?.inspectionId]);
      expect(batch).toEqual({ batchItemFailures: [] });
      const calls = standIns.connect.calls();
      expect(calls).toHaveLength(1);
      expect(JSON.stringify(calls[0])).toContain(names.operatorPhoneNumber);
      expect(alerts.sqs.messages(alerts.deadLetterQueueUrl)).toEqual([]);
    } finally {
      await rm(workDir, { recursive: true, force: true });
      await Promise.allSettled([standIns.close(), alerts.close()]);
    }
  });
});
