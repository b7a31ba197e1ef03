import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, type Tags } from 'yaml';

/** One API Gateway REST route of serverless.yml, bound to the handler module that serves it. */
export interface ServerlessRoute {
  /** The function's key under `functions:` (e.g. `inspectImage`), used as the Lambda function name. */
  functionName: string;
  /** Upper-case HTTP method, or `ANY`. */
  method: string;
  /** API Gateway resource path with a leading slash, e.g. `/inspections/{id}`. */
  resource: string;
  /** Absolute path of the handler's TypeScript module (`functions/handlers/inspect-image.ts`). */
  modulePath: string;
  /** Name of the exported handler function (`handler`). */
  exportName: string;
  /** Who API Gateway lets through to the function (the http event's `authorizer`). */
  authorizer: RouteAuthorizer;
  /** `private: true`: the method requires a usage key (an API key in a usage plan), as API Gateway meters it. */
  private: boolean;
}

/**
 * A route's authorizer, as the local gateway enforces it (local/gateway/authorizers.ts):
 * - `request`: a Lambda REQUEST authorizer, serverless.yml's function `functionName` (`authorizer: {name, type: request}`);
 * - `cognito`: a COGNITO_USER_POOLS authorizer (`type: COGNITO_USER_POOLS` with an `authorizerId` or a user pool `arn`):
 *   the ID token in `Authorization`, verified against the local identity provider;
 * - `none`: no authorizer; the local gateway refuses such a route 401 (every route of the API has one).
 */
export type RouteAuthorizer = { kind: 'none' } | { kind: 'cognito' } | { kind: 'request'; functionName: string };

/** What the local stack needs from serverless.yml: the routes and the API's binary media types. */
export interface ServerlessApi {
  routes: ServerlessRoute[];
  binaryMediaTypes: string[];
}

/**
 * CloudFormation intrinsic functions appear as YAML tags (`!Ref`, `!GetAtt`, `!Sub`...). The local stack never
 * resolves them; it only needs the file to parse, so each tag keeps its raw value wrapped in a marker object.
 */
const CLOUDFORMATION_TAG_NAMES = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Condition',
  'Select',
  'Split',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Base64',
  'Cidr',
  'Transform',
  'ToJsonString',
  'Length',
];

const cloudFormationTags: Tags = CLOUDFORMATION_TAG_NAMES.flatMap((name) =>
  (['scalar', 'seq', 'map'] as const).map((collection) => {
    const tag = `!${name}`;
    if (collection === 'scalar') {
      return { tag, resolve: (value: string) => ({ [tag]: value }) };
    }
    return {
      tag,
      collection,
      resolve: (value: { toJSON(): unknown }) => ({ [tag]: value.toJSON() }),
    };
  }),
);

/** Parse serverless.yml text, tolerating CloudFormation short-form tags. */
export function parseServerlessYaml(text: string): unknown {
  return parse(text, { customTags: cloudFormationTags, logLevel: 'error' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turn `inspections/{id}` or `/inspections/{id}/` into `/inspections/{id}`. */
function normaliseResource(rawPath: string): string {
  const trimmed = rawPath.trim().replace(/^\/+|\/+$/g, '');
  return `/${trimmed}`;
}

/**
 * Extract the HTTP routes and binary media types from a parsed serverless.yml.
 * `baseDir` is where serverless.yml lives; handler paths (`functions/handlers/inspect-image.handler`) are relative to it.
 */
export function routesFromServerlessConfig(document: unknown, baseDir: string): ServerlessApi {
  if (!isObject(document)) throw new Error('serverless.yml is empty or not a mapping');
  const provider = isObject(document.provider) ? document.provider : {};
  const apiGateway = isObject(provider.apiGateway) ? provider.apiGateway : {};
  const binaryMediaTypes = Array.isArray(apiGateway.binaryMediaTypes)
    ? apiGateway.binaryMediaTypes.filter((type): type is string => typeof type === 'string')
    : [];

  const routes: ServerlessRoute[] = [];
  const functions = isObject(document.functions) ? document.functions : {};
  for (const [functionName, definition] of Object.entries(functions)) {
    if (!isObject(definition) || typeof definition.handler !== 'string') continue;
    const events = Array.isArray(definition.events) ? definition.events : [];
    const httpEvents = events.flatMap((event) => (isObject(event) && event.http !== undefined ? [event.http] : []));
    if (httpEvents.length === 0) continue;

    const handler = definition.handler;
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`functions.${functionName}.handler "${handler}" is not <file>.<export>`);
    const modulePath = path.resolve(baseDir, `${handler.slice(0, dot)}.ts`);
    const exportName = handler.slice(dot + 1);

    for (const http of httpEvents) {
      // Serverless also accepts the short form `http: GET inspections/{id}`.
      let method: unknown;
      let rawPath: unknown;
      let authorizer: RouteAuthorizer = { kind: 'none' };
      let isPrivate = false;
      if (typeof http === 'string') {
        [method, rawPath] = http.trim().split(/\s+/);
      } else if (isObject(http)) {
        method = http.method;
        rawPath = http.path;
        isPrivate = http.private === true;
      }
      if (typeof method !== 'string' || typeof rawPath !== 'string') {
        throw new Error(`functions.${functionName}: an http event needs a path and a method`);
      }
      if (isObject(http) && http.authorizer !== undefined)
        authorizer = readAuthorizer(http.authorizer, `functions.${functionName} ${method.toUpperCase()} ${rawPath}`);
      routes.push({ functionName, method: method.toUpperCase(), resource: normaliseResource(rawPath), modulePath, exportName, authorizer, private: isPrivate });
    }
  }
  return { routes, binaryMediaTypes };
}

/**
 * An http event's `authorizer`, in the forms the framework accepts for the two kinds the local gateway enforces. Any
 * other kind (a TOKEN authorizer, AWS_IAM, a Lambda named only by ARN) stops the start, naming the route: the local
 * stack would otherwise serve the route without what guards it deployed.
 */
export function readAuthorizer(value: unknown, where: string): RouteAuthorizer {
  const unsupported = (what: string) =>
    new Error(`${where}: the local stack enforces REQUEST and COGNITO_USER_POOLS authorizers only, not ${what} (serverless.yml)`);
  if (typeof value === 'string') {
    if (/^arn:[^:]+:cognito-idp:/.test(value)) return { kind: 'cognito' };
    if (value.toUpperCase() === 'AWS_IAM') throw unsupported('AWS_IAM');
    // The framework makes a function named by a plain string a TOKEN authorizer.
    throw unsupported(`the TOKEN authorizer ${value}`);
  }
  if (!isObject(value)) throw unsupported(JSON.stringify(value));
  const type = typeof value.type === 'string' ? value.type.toUpperCase() : undefined;
  const arn = value.arn;
  if (type === 'COGNITO_USER_POOLS' || (typeof arn === 'string' && /^arn:[^:]+:cognito-idp:/.test(arn))) return { kind: 'cognito' };
  if (type === 'REQUEST' && typeof value.name === 'string' && value.name.length > 0 && arn === undefined) return { kind: 'request', functionName: value.name };
  throw unsupported(type ? `type ${type}${typeof value.name === 'string' ? ` (${value.name})` : ''}` : `an authorizer without a type (a TOKEN authorizer)`);
}

/** Read serverless.yml from disk and return its HTTP routes and binary media types. */
export async function readServerlessApi(serverlessYmlPath: string): Promise<ServerlessApi> {
  const text = await readFile(serverlessYmlPath, 'utf8');
  return routesFromServerlessConfig(parseServerlessYaml(text), path.dirname(path.resolve(serverlessYmlPath)));
}

/** A route matched against a request path, with its path parameters decoded. */
export interface RouteMatch {
  route: ServerlessRoute;
  pathParameters: Record<string, string> | null;
}

/**
 * Find the route serving a method and path, the way API Gateway does: literal segments beat `{param}` segments,
 * `{proxy+}` swallows the rest, and `ANY` matches every method. Returns undefined when nothing matches.
 */
export function matchRoute(routes: readonly ServerlessRoute[], method: string, requestPath: string): RouteMatch | undefined {
  const requestSegments = requestPath
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter((segment) => segment.length > 0);
  let best: { match: RouteMatch; score: number[] } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method.toUpperCase()) continue;
    const candidate = matchSegments(route, requestSegments);
    if (!candidate) continue;
    // Prefer literal segments, then explicit methods over ANY.
    const score = [...candidate.score, route.method === 'ANY' ? 0 : 1];
    if (!best || compareScores(score, best.score) > 0) best = { match: candidate.match, score };
  }
  return best?.match;
}

function matchSegments(route: ServerlessRoute, requestSegments: string[]): { match: RouteMatch; score: number[] } | undefined {
  const routeSegments = route.resource.split('/').filter((segment) => segment.length > 0);
  const parameters: Record<string, string> = {};
  const score: number[] = [];
  for (let index = 0; index < routeSegments.length; index += 1) {
    const routeSegment = routeSegments[index]!;
    const greedy = /^\{(.+)\+\}$/.exec(routeSegment);
    if (greedy) {
      const rest = requestSegments.slice(index);
      if (rest.length === 0) return undefined;
      parameters[greedy[1]!] = rest.map(safeDecode).join('/');
      score.push(0);
      return { match: { route, pathParameters: parameters }, score };
    }
    const requestSegment = requestSegments[index];
    if (requestSegment === undefined) return undefined;
    const parameter = /^\{(.+)\}$/.exec(routeSegment);
    if (parameter) {
      parameters[parameter[1]!] = safeDecode(requestSegment);
      score.push(1);
    } else if (routeSegment === requestSegment) {
      score.push(2);
    } else {
      return undefined;
    }
  }
  if (requestSegments.length !== routeSegments.length) return undefined;
  return { match: { route, pathParameters: Object.keys(parameters).length > 0 ? parameters : null }, score };
}

function compareScores(left: number[], right: number[]): number {
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? -1) - (right[index] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
