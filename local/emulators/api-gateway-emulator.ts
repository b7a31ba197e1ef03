import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonObjectBody, RestJsonEmulator, type EmulatorResponse, type RouteRequest, type ServiceError } from './rest-json-emulator';

/**
 * Local stand-in for the Amazon API Gateway (v1, `apigateway`) control plane (dev and test only): the API keys and
 * usage plans `npm run camera:key` manages and the request authorizer reads. restJson1 as the service model of
 * @aws-sdk/client-api-gateway describes it:
 *
 * | operation | route | answer |
 * |---|---|---|
 * | CreateApiKey | `POST /apikeys` | 201 ApiKey |
 * | GetApiKeys | `GET /apikeys?name=&customerId=&includeValues=&limit=&position=` | 200 `{item: [ApiKey], position?}` |
 * | GetApiKey | `GET /apikeys/{apiKey}?includeValue=` | 200 ApiKey |
 * | UpdateApiKey | `PATCH /apikeys/{apiKey}` `{patchOperations}` | 200 ApiKey |
 * | DeleteApiKey | `DELETE /apikeys/{apiKey}` | 202 |
 * | CreateUsagePlan | `POST /usageplans` | 201 UsagePlan |
 * | GetUsagePlans | `GET /usageplans?keyId=&limit=&position=` | 200 `{item: [UsagePlan], position?}` |
 * | GetUsagePlan | `GET /usageplans/{usagePlanId}` | 200 UsagePlan |
 * | UpdateUsagePlan | `PATCH /usageplans/{usagePlanId}` `{patchOperations}` | 200 UsagePlan |
 * | DeleteUsagePlan | `DELETE /usageplans/{usagePlanId}` | 202 |
 * | CreateUsagePlanKey | `POST /usageplans/{usagePlanId}/keys` `{keyId, keyType}` | 201 UsagePlanKey |
 * | GetUsagePlanKeys | `GET /usageplans/{usagePlanId}/keys?name=&limit=&position=` | 200 `{item: [UsagePlanKey], position?}` |
 * | GetUsagePlanKey | `GET /usageplans/{usagePlanId}/keys/{keyId}` | 200 UsagePlanKey |
 * | DeleteUsagePlanKey | `DELETE /usageplans/{usagePlanId}/keys/{keyId}` | 202 |
 * | TagResource | `PUT /tags/{resourceArn}` `{tags}` | 204 |
 *
 * Shapes (service model): ApiKey `id`, `value` (only with includeValue(s)=true or on create), `name`, `customerId`,
 * `description`, `enabled`, `createdDate`, `lastUpdatedDate` (epoch seconds), `stageKeys` (`"restApiId/stageName"`),
 * `tags`; UsagePlan `id`, `name`, `description`, `apiStages` `[{apiId, stage}]`, `throttle` `{burstLimit, rateLimit}`,
 * `quota` `{limit, offset, period}`, `tags`; UsagePlanKey `id` (the key's id), `type` (`API_KEY`), `value`, `name`.
 * Lists are `item` on the wire (the model's jsonName).
 *
 * Errors as API Gateway sends them: `x-amzn-ErrorType: <Exception>:<url>` and a body `{"message": ...}`; the messages
 * are the service's own where known: NotFoundException 404 ("Invalid API Key identifier specified", "Invalid Usage Plan
 * ID specified"), ConflictException 409 ("API Key already exists" for a value in use), BadRequestException 400 ("API Key
 * value should be at least 20 characters", "Cannot delete Usage Plan ... because there are API Stages associated with
 * it, including <api>:<stage>", "Invalid patch path ..."). A key created without `value` gets 40 random characters of
 * [A-Za-z0-9], as API Gateway generates them; `enabled` defaults to false, as in the service.
 *
 * Not emulated: REST APIs and stages themselves (a plan may name any `apiId`/`stage` unless `knownStages` is given),
 * usage reports (GetUsage), per-method throttles inside `apiStages`, `customerId` matching for Marketplace, request
 * signatures. The data plane (a request counted against its key's plan) is local/gateway/usage-plans.ts, reading
 * this emulator's state in-process (`findApiKeyByValue`, `usagePlansOfKey`).
 */

/** An API key as the emulator keeps it. */
export interface EmulatedApiKey {
  id: string;
  value: string;
  name?: string;
  description?: string;
  customerId?: string;
  enabled: boolean;
  /** Epoch seconds. */
  createdDate: number;
  lastUpdatedDate: number;
  /** `restApiId/stageName` (the deprecated stage keys, kept as given). */
  stageKeys: string[];
  tags: Record<string, string>;
}

/** A usage plan as the emulator keeps it, with the ids of its keys in the order they were added. */
export interface EmulatedUsagePlan {
  id: string;
  name: string;
  description?: string;
  apiStages: Array<{ apiId: string; stage: string }>;
  throttle?: { burstLimit?: number; rateLimit?: number };
  quota?: { limit?: number; offset?: number; period?: 'DAY' | 'WEEK' | 'MONTH' };
  tags: Record<string, string>;
  keyIds: string[];
}

export interface ApiGatewayEmulatorOptions {
  /** Region in resource ARNs (TagResource); default us-east-1. */
  region?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Milliseconds since the epoch, for createdDate / lastUpdatedDate; Date.now by default. */
  now?: () => number;
  /**
   * Keep the keys and plans in this JSON file (written at once after every change, atomically, readable only by the
   * owner: it holds key values), so a restarted local stack still knows the keys its cameras hold. In memory when unset.
   */
  stateFile?: string;
  /** When given, a usage plan may only name these API stages (NotFoundException otherwise), as API Gateway checks them. */
  knownStages?: Array<{ apiId: string; stage: string }>;
}

/** The API Gateway errors this emulator answers with, and their HTTP statuses (the service model's httpError). */
export const API_GATEWAY_ERRORS = {
  BadRequestException: 400,
  UnauthorizedException: 401,
  NotFoundException: 404,
  ConflictException: 409,
  LimitExceededException: 429,
  TooManyRequestsException: 429,
  ServiceUnavailableException: 503,
} as const;
export type ApiGatewayErrorType = keyof typeof API_GATEWAY_ERRORS;

/** An error raised by the in-process API (answered over HTTP as the service would). */
export class ApiGatewayEmulatorError extends Error {
  constructor(
    readonly errorType: ApiGatewayErrorType,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

const INVALID_API_KEY = 'Invalid API Key identifier specified';
const INVALID_USAGE_PLAN = 'Invalid Usage Plan ID specified';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
const QUOTA_PERIODS = new Set(['DAY', 'WEEK', 'MONTH']);
/** GetApiKeys / GetUsagePlans / GetUsagePlanKeys: "The maximum number of returned results per page. The default value is 25 and the maximum value is 500." */
const DEFAULT_PAGE = 25;
const MAX_PAGE = 500;
/** The namespace in x-amzn-ErrorType (`<name>:http://internal.amazon.com/coral/<namespace>/`), as API Gateway's control plane sends it. */
const ERROR_NAMESPACE = 'com.amazonaws.backplane.controlplane';

function randomString(alphabet: string, length: number): string {
  let text = '';
  for (let index = 0; index < length; index += 1) text += alphabet[randomInt(alphabet.length)];
  return text;
}

/** A value as API Gateway generates one: 40 characters of [A-Za-z0-9]. */
export function generateApiKeyValue(): string {
  return randomString(ALPHANUMERIC, 40);
}

type Answer = EmulatorResponse;

/** Request bodies are small JSON documents: past 1 MiB the emulator answers BadRequestException. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Emulates the API Gateway control-plane operations for API keys and usage plans, on the emulators' shared restJson1
 * plumbing (local/emulators/rest-json-emulator.ts: server, request log, scripted faults); its GET operations are driven
 * by the query parameters that plumbing hands to the route (includeValue, name, keyId, limit, position).
 */
export class ApiGatewayEmulator extends RestJsonEmulator {
  private readonly region: string;
  private readonly now: () => number;
  private readonly stateFile: string | undefined;
  private readonly knownStages: Array<{ apiId: string; stage: string }> | undefined;
  private readonly apiKeys = new Map<string, EmulatedApiKey>();
  private readonly usagePlans = new Map<string, EmulatedUsagePlan>();

  constructor(options: ApiGatewayEmulatorOptions = {}) {
    super(
      ERROR_NAMESPACE,
      { host: options.host ?? '127.0.0.1', port: options.port ?? 0 },
      {
        maxBodyBytes: MAX_BODY_BYTES,
        bodyTooLarge: errorOf('BadRequestException', 'Request body too large'),
      },
    );
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? Date.now;
    this.stateFile = options.stateFile;
    this.knownStages = options.knownStages?.map((stage) => ({ ...stage }));
    if (this.stateFile) this.restore(this.stateFile);
  }

  /** Answer the next `count` HTTP requests with this error (the SDK retries 429 and 5xx by itself). */
  failNext(count: number, errorType: ApiGatewayErrorType, message = 'Injected failure'): void {
    const error = errorOf(errorType, message);
    this.enqueueFault(count, { kind: 'error', error: errorType === 'TooManyRequestsException' ? { ...error, headers: { 'retry-after': '1' } } : error });
  }

  /** API Gateway spells its error member in lower case: `{"message": ...}`. */
  protected override errorBody(error: ServiceError): unknown {
    return { message: error.message };
  }

  // ---- in-process API (the local gateway's usage plans, tests) ----

  /** The key with this value, or undefined (a copy). */
  findApiKeyByValue(value: string): EmulatedApiKey | undefined {
    for (const key of this.apiKeys.values()) if (key.value === value) return structuredClone(key);
    return undefined;
  }

  /** One key by id (a copy), or undefined. */
  apiKey(id: string): EmulatedApiKey | undefined {
    const key = this.apiKeys.get(id);
    return key ? structuredClone(key) : undefined;
  }

  /** Every key, oldest first (copies). */
  listApiKeys(): EmulatedApiKey[] {
    return [...this.apiKeys.values()].map((key) => structuredClone(key));
  }

  /** One plan by id (a copy), or undefined. */
  usagePlan(id: string): EmulatedUsagePlan | undefined {
    const plan = this.usagePlans.get(id);
    return plan ? structuredClone(plan) : undefined;
  }

  /** Every plan, oldest first (copies). */
  listUsagePlans(): EmulatedUsagePlan[] {
    return [...this.usagePlans.values()].map((plan) => structuredClone(plan));
  }

  /** The plans a key is in (copies), oldest first. */
  usagePlansOfKey(keyId: string): EmulatedUsagePlan[] {
    return [...this.usagePlans.values()].filter((plan) => plan.keyIds.includes(keyId)).map((plan) => structuredClone(plan));
  }

  /** CreateApiKey in-process; throws ApiGatewayEmulatorError as the HTTP API answers. */
  createApiKey(input: {
    name?: string;
    description?: string;
    enabled?: boolean;
    value?: string;
    customerId?: string;
    stageKeys?: Array<{ restApiId?: string; stageName?: string }>;
    tags?: Record<string, string>;
  }): EmulatedApiKey {
    if (input.value !== undefined) {
      if (input.value.length < 20) throw new ApiGatewayEmulatorError('BadRequestException', 'API Key value should be at least 20 characters');
      if ([...this.apiKeys.values()].some((key) => key.value === input.value)) throw new ApiGatewayEmulatorError('ConflictException', 'API Key already exists');
    }
    const tags = checkTags(input.tags);
    const created = Math.floor(this.now() / 1000);
    const key: EmulatedApiKey = {
      id: this.newId(this.apiKeys, 10),
      value: input.value ?? generateApiKeyValue(),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
      enabled: input.enabled === true,
      createdDate: created,
      lastUpdatedDate: created,
      stageKeys: (input.stageKeys ?? []).map((stageKey) => `${stageKey.restApiId ?? ''}/${stageKey.stageName ?? ''}`),
      tags,
    };
    this.apiKeys.set(key.id, key);
    this.changed();
    return structuredClone(key);
  }

  /** UpdateApiKey in-process: `replace` of /enabled, /name, /description, /customerId. */
  updateApiKey(id: string, operations: PatchOperation[]): EmulatedApiKey {
    const key = this.apiKeys.get(id);
    if (!key) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    const updated = structuredClone(key);
    for (const operation of operations) {
      const allowed = ['/name', '/description', '/enabled', '/customerId'];
      if (operation.op !== 'replace' || !allowed.includes(operation.path ?? '')) {
        throw new ApiGatewayEmulatorError(
          'BadRequestException',
          `Invalid patch path '${operation.path ?? ''}' specified for op '${operation.op ?? ''}'. Must be one of: [${allowed.join(', ')}]`,
        );
      }
      const value = operation.value ?? '';
      if (operation.path === '/enabled') {
        if (value !== 'true' && value !== 'false') throw new ApiGatewayEmulatorError('BadRequestException', `Invalid boolean value '${value}' for /enabled`);
        updated.enabled = value === 'true';
      } else if (operation.path === '/name') updated.name = value;
      else if (operation.path === '/description') updated.description = value;
      else updated.customerId = value;
    }
    updated.lastUpdatedDate = Math.floor(this.now() / 1000);
    this.apiKeys.set(id, updated);
    this.changed();
    return structuredClone(updated);
  }

  /** DeleteApiKey in-process; the key leaves every usage plan it was in. */
  deleteApiKey(id: string): void {
    if (!this.apiKeys.delete(id)) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    for (const plan of this.usagePlans.values()) plan.keyIds = plan.keyIds.filter((keyId) => keyId !== id);
    this.changed();
  }

  /** CreateUsagePlan in-process. */
  createUsagePlan(input: {
    name?: string;
    description?: string;
    apiStages?: Array<{ apiId?: string; stage?: string }>;
    throttle?: { burstLimit?: number; rateLimit?: number };
    quota?: { limit?: number; offset?: number; period?: string };
    tags?: Record<string, string>;
  }): EmulatedUsagePlan {
    if (!input.name) throw new ApiGatewayEmulatorError('BadRequestException', 'Usage Plan name must be non-empty');
    const apiStages = (input.apiStages ?? []).map((apiStage) => this.checkApiStage(apiStage));
    const plan: EmulatedUsagePlan = {
      id: this.newId(this.usagePlans, 6),
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      apiStages,
      ...(input.throttle ? { throttle: checkThrottle(input.throttle) } : {}),
      ...(input.quota ? { quota: checkQuota(input.quota) } : {}),
      tags: checkTags(input.tags),
      keyIds: [],
    };
    this.usagePlans.set(plan.id, plan);
    this.changed();
    return structuredClone(plan);
  }

  /**
   * UpdateUsagePlan in-process: `add`/`remove` of `/apiStages` (value `apiId:stage`), `replace` of `/name`,
   * `/description`, `/throttle/rateLimit`, `/throttle/burstLimit`, `/quota/limit`, `/quota/period`, `/quota/offset`,
   * `remove` of `/throttle` and `/quota`.
   */
  updateUsagePlan(id: string, operations: PatchOperation[]): EmulatedUsagePlan {
    const plan = this.usagePlans.get(id);
    if (!plan) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_USAGE_PLAN);
    const updated = structuredClone(plan);
    for (const operation of operations) applyUsagePlanPatch(updated, operation, (apiStage) => this.checkApiStage(apiStage));
    this.usagePlans.set(id, updated);
    this.changed();
    return structuredClone(updated);
  }

  /** DeleteUsagePlan in-process: refused while API stages are associated with the plan, as API Gateway refuses it. */
  deleteUsagePlan(id: string): void {
    const plan = this.usagePlans.get(id);
    if (!plan) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_USAGE_PLAN);
    const [first] = plan.apiStages;
    if (first) {
      throw new ApiGatewayEmulatorError(
        'BadRequestException',
        `Cannot delete Usage Plan ${id} because there are API Stages associated with it, including ${first.apiId}:${first.stage}`,
      );
    }
    this.usagePlans.delete(id);
    this.changed();
  }

  /** CreateUsagePlanKey in-process (keyType API_KEY). */
  createUsagePlanKey(usagePlanId: string, keyId: string, keyType = 'API_KEY'): { id: string; type: string; value: string; name?: string } {
    const plan = this.usagePlans.get(usagePlanId);
    if (!plan) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_USAGE_PLAN);
    if (keyType !== 'API_KEY') throw new ApiGatewayEmulatorError('BadRequestException', `Invalid key type specified: '${keyType}'. Must be API_KEY`);
    const key = this.apiKeys.get(keyId);
    if (!key) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    if (plan.keyIds.includes(keyId)) throw new ApiGatewayEmulatorError('ConflictException', `Usage Plan ${usagePlanId} already contains API Key ${keyId}`);
    // "An API key can be associated with more than one usage plan", but not two plans on the same API stage.
    for (const other of this.usagePlans.values()) {
      if (!other.keyIds.includes(keyId)) continue;
      const shared = other.apiStages.find((stage) => plan.apiStages.some((mine) => mine.apiId === stage.apiId && mine.stage === stage.stage));
      if (shared) {
        throw new ApiGatewayEmulatorError(
          'ConflictException',
          `Usage Plan ${usagePlanId} cannot be added because API Key ${keyId} cannot reference multiple Usage Plans with the same API Stage: ${shared.apiId}:${shared.stage}`,
        );
      }
    }
    plan.keyIds.push(keyId);
    this.changed();
    return usagePlanKeyShape(key);
  }

  /** DeleteUsagePlanKey in-process. */
  deleteUsagePlanKey(usagePlanId: string, keyId: string): void {
    const plan = this.usagePlans.get(usagePlanId);
    if (!plan) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_USAGE_PLAN);
    if (!plan.keyIds.includes(keyId)) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    plan.keyIds = plan.keyIds.filter((id) => id !== keyId);
    this.changed();
  }

  // ---- HTTP ----

  protected route(request: RouteRequest): Promise<EmulatorResponse> {
    try {
      return Promise.resolve(this.dispatch(request));
    } catch (error) {
      return Promise.resolve(
        error instanceof ApiGatewayEmulatorError ? errorAnswer(error.errorType, error.message) : errorAnswer('ServiceUnavailableException', 'Emulator failure'),
      );
    }
  }

  private dispatch(request: RouteRequest): Answer {
    const { method, segments, query } = request;
    const [collection, id, sub, subId] = segments;
    if (collection === 'apikeys') {
      if (segments.length === 1 && method === 'POST') return this.httpCreateApiKey(request);
      if (segments.length === 1 && method === 'GET') return this.httpGetApiKeys(query);
      if (segments.length === 2 && id !== undefined) {
        if (method === 'GET') return this.httpGetApiKey(id, query.get('includeValue') === 'true');
        if (method === 'PATCH') return json(200, apiKeyShape(this.updateApiKey(id, patchOperationsOf(request)), false));
        if (method === 'DELETE') {
          this.deleteApiKey(id);
          return json(202, {});
        }
      }
    }
    if (collection === 'usageplans') {
      if (segments.length === 1 && method === 'POST') return this.httpCreateUsagePlan(request);
      if (segments.length === 1 && method === 'GET') return this.httpGetUsagePlans(query);
      if (segments.length === 2 && id !== undefined) {
        if (method === 'GET') return json(200, usagePlanShape(this.requirePlan(id)));
        if (method === 'PATCH') return json(200, usagePlanShape(this.updateUsagePlan(id, patchOperationsOf(request))));
        if (method === 'DELETE') {
          this.deleteUsagePlan(id);
          return json(202, {});
        }
      }
      if (sub === 'keys' && id !== undefined) {
        if (segments.length === 3 && method === 'POST') {
          const body = requireBody(request);
          return json(201, this.createUsagePlanKey(id, stringField(body, 'keyId') ?? '', stringField(body, 'keyType') ?? ''));
        }
        if (segments.length === 3 && method === 'GET') return this.httpGetUsagePlanKeys(id, query);
        if (segments.length === 4 && subId !== undefined) {
          if (method === 'GET') return this.httpGetUsagePlanKey(id, subId);
          if (method === 'DELETE') {
            this.deleteUsagePlanKey(id, subId);
            return json(202, {});
          }
        }
      }
    }
    if (collection === 'tags' && segments.length === 2 && id !== undefined && method === 'PUT') return this.httpTagResource(id, request);
    return errorAnswer('NotFoundException', `No route for ${method} ${request.path}`);
  }

  private httpCreateApiKey(request: RouteRequest): Answer {
    const body = requireBody(request);
    const stageKeys = Array.isArray(body.stageKeys) ? (body.stageKeys as Array<{ restApiId?: string; stageName?: string }>) : undefined;
    const key = this.createApiKey({
      ...optionalString(body, 'name'),
      ...optionalString(body, 'description'),
      ...optionalString(body, 'value'),
      ...optionalString(body, 'customerId'),
      enabled: body.enabled === true,
      ...(stageKeys ? { stageKeys } : {}),
      ...(isStringMap(body.tags) ? { tags: body.tags } : {}),
    });
    // CreateApiKey answers with the value, whether given or generated.
    return json(201, apiKeyShape(key, true));
  }

  private httpGetApiKeys(query: URLSearchParams): Answer {
    const nameQuery = query.get('name');
    const customerId = query.get('customerId');
    const includeValues = query.get('includeValues') === 'true';
    const keys = [...this.apiKeys.values()].filter(
      (key) => (nameQuery === null || (key.name ?? '').startsWith(nameQuery)) && (customerId === null || key.customerId === customerId),
    );
    const { page, position } = paginate(keys, query);
    return json(200, { item: page.map((key) => apiKeyShape(key, includeValues)), ...(position ? { position } : {}) });
  }

  private httpGetApiKey(id: string, includeValue: boolean): Answer {
    const key = this.apiKeys.get(id);
    if (!key) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    return json(200, apiKeyShape(key, includeValue));
  }

  private httpCreateUsagePlan(request: RouteRequest): Answer {
    const body = requireBody(request);
    const plan = this.createUsagePlan({
      ...optionalString(body, 'name'),
      ...optionalString(body, 'description'),
      ...(Array.isArray(body.apiStages) ? { apiStages: body.apiStages as Array<{ apiId?: string; stage?: string }> } : {}),
      ...(isObject(body.throttle) ? { throttle: body.throttle } : {}),
      ...(isObject(body.quota) ? { quota: body.quota } : {}),
      ...(isStringMap(body.tags) ? { tags: body.tags } : {}),
    });
    return json(201, usagePlanShape(plan));
  }

  private httpGetUsagePlans(query: URLSearchParams): Answer {
    const keyId = query.get('keyId');
    if (keyId !== null && !this.apiKeys.has(keyId)) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    const plans = [...this.usagePlans.values()].filter((plan) => keyId === null || plan.keyIds.includes(keyId));
    const { page, position } = paginate(plans, query);
    return json(200, { item: page.map(usagePlanShape), ...(position ? { position } : {}) });
  }

  private httpGetUsagePlanKeys(usagePlanId: string, query: URLSearchParams): Answer {
    const plan = this.requirePlan(usagePlanId);
    const nameQuery = query.get('name');
    const keys = plan.keyIds
      .map((keyId) => this.apiKeys.get(keyId))
      .filter((key): key is EmulatedApiKey => key !== undefined && (nameQuery === null || (key.name ?? '').startsWith(nameQuery)));
    const { page, position } = paginate(keys, query);
    return json(200, { item: page.map(usagePlanKeyShape), ...(position ? { position } : {}) });
  }

  private httpGetUsagePlanKey(usagePlanId: string, keyId: string): Answer {
    const key = this.apiKeys.get(keyId);
    if (!key) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    const plan = this.requirePlan(usagePlanId);
    if (!plan.keyIds.includes(keyId)) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_API_KEY);
    return json(200, usagePlanKeyShape(key));
  }

  /** TagResource for `arn:aws:apigateway:<region>::/apikeys/<id>` and `.../usageplans/<id>`: tags merge into the resource's. */
  private httpTagResource(resourceArn: string, request: RouteRequest): Answer {
    const body = requireBody(request);
    const tags = checkTags(isStringMap(body.tags) ? body.tags : undefined);
    const match = /^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::\/(apikeys|usageplans)\/([^/]+)$/.exec(resourceArn);
    if (!match) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid ARN specified in the request');
    const [, region, kind, id = ''] = match;
    const resource = region !== this.region ? undefined : kind === 'apikeys' ? this.apiKeys.get(id) : this.usagePlans.get(id);
    if (!resource) throw new ApiGatewayEmulatorError('NotFoundException', kind === 'apikeys' ? INVALID_API_KEY : INVALID_USAGE_PLAN);
    resource.tags = { ...resource.tags, ...tags };
    this.changed();
    return { kind: 'json', status: 204 };
  }

  // ---- helpers ----

  private requirePlan(id: string): EmulatedUsagePlan {
    const plan = this.usagePlans.get(id);
    if (!plan) throw new ApiGatewayEmulatorError('NotFoundException', INVALID_USAGE_PLAN);
    return plan;
  }

  private checkApiStage(apiStage: { apiId?: string; stage?: string }): { apiId: string; stage: string } {
    const apiId = apiStage.apiId ?? '';
    const stage = apiStage.stage ?? '';
    if (!apiId) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid API identifier specified');
    if (!stage) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid stage identifier specified');
    if (this.knownStages) {
      if (!this.knownStages.some((known) => known.apiId === apiId)) throw new ApiGatewayEmulatorError('NotFoundException', 'Invalid API identifier specified');
      if (!this.knownStages.some((known) => known.apiId === apiId && known.stage === stage))
        throw new ApiGatewayEmulatorError('NotFoundException', 'Invalid stage identifier specified');
    }
    return { apiId, stage };
  }

  private newId(taken: Map<string, unknown>, length: number): string {
    for (;;) {
      const id = randomString(LOWER_ALPHANUMERIC, length);
      if (!taken.has(id)) return id;
    }
  }

  private changed(): void {
    if (!this.stateFile) return;
    const state = JSON.stringify({ version: 1, apiKeys: [...this.apiKeys.values()], usagePlans: [...this.usagePlans.values()] }, null, 2);
    mkdirSync(path.dirname(this.stateFile), { recursive: true });
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, state, { mode: 0o600 });
    renameSync(temporary, this.stateFile);
  }

  private restore(file: string): void {
    if (!existsSync(file)) return;
    let saved: { apiKeys?: EmulatedApiKey[]; usagePlans?: EmulatedUsagePlan[] };
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as typeof saved;
    } catch (error) {
      throw new Error(
        `${file} is not the API Gateway emulator's state (${error instanceof Error ? error.message : String(error)}); move it away to start afresh`,
        { cause: error },
      );
    }
    for (const key of saved.apiKeys ?? []) this.apiKeys.set(key.id, key);
    for (const plan of saved.usagePlans ?? []) this.usagePlans.set(plan.id, plan);
  }
}

/** One patch operation of UpdateApiKey / UpdateUsagePlan. */
export interface PatchOperation {
  op?: string;
  path?: string;
  value?: string;
  from?: string;
}

function applyUsagePlanPatch(
  plan: EmulatedUsagePlan,
  operation: PatchOperation,
  checkApiStage: (apiStage: { apiId?: string; stage?: string }) => { apiId: string; stage: string },
): void {
  const { op, path: where = '', value = '' } = operation;
  const invalidPath = () =>
    new ApiGatewayEmulatorError(
      'BadRequestException',
      `Invalid patch path '${where}' specified for op '${op ?? ''}'. Must be one of: [/name, /description, /apiStages, /quota, /throttle, /quota/limit, /quota/period, /quota/offset, /throttle/rateLimit, /throttle/burstLimit]`,
    );
  if (where === '/apiStages' && (op === 'add' || op === 'remove')) {
    const [apiId, stage] = value.split(':');
    if (!apiId || !stage) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid API Stage specified');
    if (op === 'add') {
      const checked = checkApiStage({ apiId, stage });
      if (!plan.apiStages.some((known) => known.apiId === apiId && known.stage === stage)) plan.apiStages.push(checked);
      return;
    }
    if (!plan.apiStages.some((known) => known.apiId === apiId && known.stage === stage))
      throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid API Stage specified');
    plan.apiStages = plan.apiStages.filter((known) => !(known.apiId === apiId && known.stage === stage));
    return;
  }
  if (op === 'remove' && (where === '/throttle' || where === '/quota')) {
    if (where === '/throttle') delete plan.throttle;
    else delete plan.quota;
    return;
  }
  if (op !== 'replace' && op !== 'add') throw invalidPath();
  const number = (): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0)
      throw new ApiGatewayEmulatorError('BadRequestException', `Invalid value '${value}' for ${where}`);
    return parsed;
  };
  switch (where) {
    case '/name':
      if (!value) throw new ApiGatewayEmulatorError('BadRequestException', 'Usage Plan name must be non-empty');
      plan.name = value;
      return;
    case '/description':
      plan.description = value;
      return;
    case '/throttle/rateLimit':
      plan.throttle = { ...plan.throttle, rateLimit: number() };
      return;
    case '/throttle/burstLimit':
      plan.throttle = { ...plan.throttle, burstLimit: Math.trunc(number()) };
      return;
    case '/quota/limit':
      plan.quota = { ...plan.quota, limit: Math.trunc(number()) };
      return;
    case '/quota/offset':
      plan.quota = { ...plan.quota, offset: Math.trunc(number()) };
      return;
    case '/quota/period':
      if (!QUOTA_PERIODS.has(value))
        throw new ApiGatewayEmulatorError('BadRequestException', `Invalid quota period '${value}'. Must be one of: [DAY, WEEK, MONTH]`);
      plan.quota = { ...plan.quota, period: value as 'DAY' | 'WEEK' | 'MONTH' };
      return;
    default:
      throw invalidPath();
  }
}

function checkThrottle(throttle: { burstLimit?: unknown; rateLimit?: unknown }): { burstLimit?: number; rateLimit?: number } {
  const checked: { burstLimit?: number; rateLimit?: number } = {};
  if (throttle.rateLimit !== undefined) {
    if (typeof throttle.rateLimit !== 'number' || !Number.isFinite(throttle.rateLimit) || throttle.rateLimit < 0)
      throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid throttle rateLimit: it must be a non-negative number');
    checked.rateLimit = throttle.rateLimit;
  }
  if (throttle.burstLimit !== undefined) {
    if (typeof throttle.burstLimit !== 'number' || !Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 0)
      throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid throttle burstLimit: it must be a non-negative integer');
    checked.burstLimit = throttle.burstLimit;
  }
  return checked;
}

function checkQuota(quota: { limit?: unknown; offset?: unknown; period?: unknown }): { limit?: number; offset?: number; period?: 'DAY' | 'WEEK' | 'MONTH' } {
  if (typeof quota.period !== 'string' || !QUOTA_PERIODS.has(quota.period))
    throw new ApiGatewayEmulatorError('BadRequestException', `Invalid quota period '${String(quota.period)}'. Must be one of: [DAY, WEEK, MONTH]`);
  if (typeof quota.limit !== 'number' || !Number.isInteger(quota.limit) || quota.limit < 0)
    throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid quota limit: it must be a non-negative integer');
  if (quota.offset !== undefined && (typeof quota.offset !== 'number' || !Number.isInteger(quota.offset) || quota.offset < 0))
    throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid quota offset: it must be a non-negative integer');
  return { limit: quota.limit, ...(typeof quota.offset === 'number' ? { offset: quota.offset } : {}), period: quota.period as 'DAY' | 'WEEK' | 'MONTH' };
}

/** Tags as CreateApiKey documents them: keys up to 128 characters not starting with `aws:`, values up to 256. */
function checkTags(tags: Record<string, string> | undefined): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (key.length === 0 || key.length > 128 || key.toLowerCase().startsWith('aws:') || value.length > 256)
      throw new ApiGatewayEmulatorError('BadRequestException', `Invalid tag: '${key}'`);
    checked[key] = value;
  }
  return checked;
}

function apiKeyShape(key: EmulatedApiKey, includeValue: boolean): Record<string, unknown> {
  return {
    id: key.id,
    ...(includeValue ? { value: key.value } : {}),
    ...(key.name !== undefined ? { name: key.name } : {}),
    ...(key.customerId !== undefined ? { customerId: key.customerId } : {}),
    ...(key.description !== undefined ? { description: key.description } : {}),
    enabled: key.enabled,
    createdDate: key.createdDate,
    lastUpdatedDate: key.lastUpdatedDate,
    stageKeys: [...key.stageKeys],
    ...(Object.keys(key.tags).length > 0 ? { tags: { ...key.tags } } : {}),
  };
}

function usagePlanShape(plan: EmulatedUsagePlan): Record<string, unknown> {
  return {
    id: plan.id,
    name: plan.name,
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    apiStages: plan.apiStages.map((stage) => ({ ...stage })),
    ...(plan.throttle ? { throttle: { ...plan.throttle } } : {}),
    ...(plan.quota ? { quota: { offset: 0, ...plan.quota } } : {}),
    ...(Object.keys(plan.tags).length > 0 ? { tags: { ...plan.tags } } : {}),
  };
}

function usagePlanKeyShape(key: EmulatedApiKey): { id: string; type: string; value: string; name?: string } {
  return { id: key.id, type: 'API_KEY', value: key.value, ...(key.name !== undefined ? { name: key.name } : {}) };
}

/** A page of `limit` (default 25, at most 500) from `position` (an opaque token: the index, base64url). */
function paginate<T>(items: T[], query: URLSearchParams): { page: T[]; position?: string } {
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new ApiGatewayEmulatorError('BadRequestException', `Invalid limit '${limitText}': 1 to ${MAX_PAGE}`);
  const positionText = query.get('position');
  const start = positionText === null ? 0 : Number(Buffer.from(positionText, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid position specified');
  const page = items.slice(start, start + limit);
  const next = start + limit;
  return { page, ...(next < items.length ? { position: Buffer.from(String(next), 'utf8').toString('base64url') } : {}) };
}

function json(status: number, body: unknown): Answer {
  return { kind: 'json', status, body };
}

/** One of API Gateway's errors, with the status the service answers it with. */
function errorOf(errorType: ApiGatewayErrorType, message: string): ServiceError {
  return { errorType, status: API_GATEWAY_ERRORS[errorType], message };
}

/** API Gateway's error answer: `x-amzn-ErrorType` and `{"message": ...}` (see errorBody). */
function errorAnswer(errorType: ApiGatewayErrorType, message: string): Answer {
  return { kind: 'error', error: errorOf(errorType, message) };
}

function requireBody(request: RouteRequest): Record<string, unknown> {
  const body = jsonObjectBody(request);
  if (!body) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid request body: a JSON object is expected');
  return body;
}

function patchOperationsOf(request: RouteRequest): PatchOperation[] {
  const body = requireBody(request);
  if (body.patchOperations === undefined) return [];
  if (!Array.isArray(body.patchOperations)) throw new ApiGatewayEmulatorError('BadRequestException', 'Invalid patchOperations');
  return body.patchOperations as PatchOperation[];
}

function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function optionalString<K extends string>(body: Record<string, unknown>, name: K): Partial<Record<K, string>> {
  const value = stringField(body, name);
  return value === undefined ? {} : ({ [name]: value } as Partial<Record<K, string>>);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isObject(value) && Object.values(value).every((entry) => typeof entry === 'string');
}
