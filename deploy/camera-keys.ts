// `npm run camera:key -- <create|list|rotate|revoke> ...`: each camera gets its own API Gateway API key, bound to one
// station, with its own usage plan (rate, burst, daily quota), so one leaked key cannot starve the other cameras.
//
//   create --station litho-3 [--label "litho-3 camera A"] [--rate 2] [--burst 5] [--quota 20000] [--json]
//   list   [--station litho-3] [--json]
//   rotate --key-id ID | --station litho-3 [--json]
//   revoke --key-id ID [--json]
//
// Targets: --stage STAGE [--region R] reads the outputs of stack waferwatch-<stage> (RestApiId, ApiStageName,
// CameraKeyTableName, StationRegistryTableName); --rest-api-id, --api-stage, --table and --stations-table name them
// (or override the outputs); --endpoint URL points API Gateway (and DynamoDB, unless --dynamodb-endpoint) at local
// emulators. Uses the deployer's usual AWS credentials.
//
// A key's value is printed once, on stdout, by create and rotate, and is written nowhere else: the camera key table
// holds only its SHA-256 (functions/adapters/dynamodb/dynamodb-camera-key-directory.ts), never logs or stderr.
// Rotation has no grace period: rotate creates the new key, then revokes the old one at once. For an overlap, `create`
// a second key for the station, install it in the camera, then `revoke` the old one.
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  UpdateApiKeyCommand,
  UpdateUsagePlanCommand,
  type APIGatewayClient,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { readStackOutputs, stackNameOf } from './stack-outputs';
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createApiGatewayClient, createDynamoDbClient } from '../functions/adapters/aws-clients';
import { toDocumentClient } from '../functions/adapters/dynamodb/dynamodb-alert-state-store';
import { cameraKeyHash } from '../functions/adapters/dynamodb/dynamodb-camera-key-directory';
import { DynamoDbStationRegistry } from '../functions/adapters/dynamodb/dynamodb-station-registry';
import { STATION_ID } from '../functions/core/camera-upload';
import type { StationRegistry } from '../functions/core/ports/station-registry';
import { allowedPrefixesFrom } from './import-stations';

/** A camera key's usage plan: requests a second (steady), burst (bucket size) and requests a UTC day. */
export interface CameraPlanLimits {
  rateLimit: number;
  burstLimit: number;
  dailyQuota: number;
}

/** The stack's defaults (serverless.yml params cameraRateLimit, cameraBurstLimit, cameraDailyQuota). */
export const DEFAULT_CAMERA_PLAN_LIMITS: Readonly<CameraPlanLimits> = { rateLimit: 2, burstLimit: 5, dailyQuota: 20_000 };

/** Where camera keys live: API Gateway (keys, usage plans) and the camera key table the request authorizer reads. */
export interface CameraKeyTargets {
  apiGateway: APIGatewayClient;
  dynamoDb: DynamoDBClient;
  /** The camera key table (stack output CameraKeyTableName). */
  tableName: string;
  /** The REST API and stage each key's usage plan applies to (stack outputs RestApiId, ApiStageName). */
  restApiId: string;
  apiStage: string;
  /** The deployment stage, in key and plan names (`waferwatch-<stage>-camera-<station>-<id>`); apiStage when unset. */
  stage?: string;
  /** The station registry: when given, a key is only made for a station it knows. */
  stations?: Pick<StationRegistry, 'getStation'>;
  /** Milliseconds since the epoch, for createdAt / revokedAt; Date.now by default. */
  now?: () => number;
}

/** A key just made. `apiKey` is its value: show it once, store it nowhere. */
export interface CreatedCameraKey {
  keyId: string;
  stationId: string;
  apiKey: string;
  usagePlanId: string;
  /** The API key's (and its plan's) name in API Gateway. */
  name: string;
  label?: string;
  createdAt: string;
  limits: CameraPlanLimits;
}

/** A key as `list` shows it: never its value. */
export interface CameraKeyListing {
  keyId: string;
  stationId: string;
  label?: string;
  state: 'active' | 'revoked';
  createdAt: string;
  revokedAt?: string;
  usagePlanId?: string;
  /** The plan's limits when it could be read (a revoked key's plan is deleted). */
  limits?: CameraPlanLimits;
}

export interface RevokedCameraKey {
  keyId: string;
  stationId: string;
  revokedAt: string;
  /** True when the key was revoked before this call (the API Gateway side was made sure of again). */
  alreadyRevoked: boolean;
}

export interface RotatedCameraKey {
  created: CreatedCameraKey;
  /** The old key, revoked; undefined when revoking it failed (then `revokeFailure` says why, and it is still active). */
  revoked?: RevokedCameraKey;
  revokeFailure?: string;
  previousKeyId: string;
}

/** A mistake of the caller's (unknown station, no such key, bad option): one line, exit code 1, no stack trace. */
export class CameraKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CameraKeyError';
  }
}

/** The item of one key, as the camera key table holds it. */
interface StoredCameraKey {
  keyHash: string;
  keyId: string;
  stationId: string;
  state: 'active' | 'revoked';
  label?: string;
  createdAt: string;
  revokedAt?: string;
  usagePlanId?: string;
}

const SERVICE = 'waferwatch';

/** Check limits as API Gateway would take them: a positive rate, a burst and a quota of whole requests, at least 1. */
export function checkPlanLimits(limits: CameraPlanLimits): CameraPlanLimits {
  if (!Number.isFinite(limits.rateLimit) || limits.rateLimit <= 0)
    throw new CameraKeyError(`--rate must be a number of requests a second above 0 (got ${limits.rateLimit})`);
  if (!Number.isInteger(limits.burstLimit) || limits.burstLimit < 1)
    throw new CameraKeyError(`--burst must be a whole number of requests, at least 1 (got ${limits.burstLimit})`);
  if (!Number.isInteger(limits.dailyQuota) || limits.dailyQuota < 1)
    throw new CameraKeyError(`--quota must be a whole number of requests a day, at least 1 (got ${limits.dailyQuota})`);
  return { ...limits };
}

/**
 * Make a key for one station: CreateApiKey (enabled, tagged with its station), CreateUsagePlan (this API stage, the
 * throttle, a daily quota), CreateUsagePlanKey, then the camera key table's item (only if no item has this value's
 * hash). A step that fails undoes the steps before it, so no half-made key is left behind. `value` re-creates a key
 * with a value the camera already holds (the local stack's seed); otherwise API Gateway generates one.
 */
export async function createCameraKey(
  targets: CameraKeyTargets,
  request: { stationId: string; label?: string; limits?: Partial<CameraPlanLimits>; value?: string },
): Promise<CreatedCameraKey> {
  const stationId = request.stationId;
  if (!STATION_ID.test(stationId))
    throw new CameraKeyError(`"${stationId}" is not a station id: 1 to 64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)`);
  const limits = checkPlanLimits({ ...DEFAULT_CAMERA_PLAN_LIMITS, ...definedOnly(request.limits ?? {}) });
  const label = request.label?.trim() || undefined;
  if (targets.stations && !(await targets.stations.getStation(stationId))) {
    throw new CameraKeyError(
      `Unknown station "${stationId}": it is not in the station registry (import it with npm run stations:import; a stored station whose numbers fall outside OPERATOR_COUNTRY_PREFIXES also reads as unknown).`,
    );
  }
  const name = `${SERVICE}-${targets.stage ?? targets.apiStage}-camera-${stationId}-${shortId()}`;
  const tags = { station: stationId, service: SERVICE };
  const createdAt = new Date((targets.now ?? Date.now)()).toISOString();
  const made: { keyId?: string; usagePlanId?: string; planKey?: boolean } = {};
  try {
    const key = await targets.apiGateway.send(
      new CreateApiKeyCommand({
        name,
        description: label ? `Camera key of station ${stationId}: ${label}` : `Camera key of station ${stationId}`,
        enabled: true,
        generateDistinctId: true,
        tags,
        ...(request.value !== undefined ? { value: request.value } : {}),
      }),
    );
    if (!key.id) throw new Error('CreateApiKey answered without an id');
    made.keyId = key.id;
    if (!key.value) throw new Error(`CreateApiKey answered without the value of key ${key.id}`);
    const apiKey = key.value;
    const plan = await targets.apiGateway.send(
      new CreateUsagePlanCommand({
        name,
        description: `Camera key ${key.id} of station ${stationId}`,
        apiStages: [{ apiId: targets.restApiId, stage: targets.apiStage }],
        throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
        quota: { limit: limits.dailyQuota, period: 'DAY' },
        tags,
      }),
    );
    if (!plan.id) throw new Error('CreateUsagePlan answered without an id');
    made.usagePlanId = plan.id;
    await targets.apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: 'API_KEY' }));
    made.planKey = true;
    const item: StoredCameraKey = {
      keyHash: cameraKeyHash(apiKey),
      keyId: key.id,
      stationId,
      state: 'active',
      createdAt,
      usagePlanId: plan.id,
      ...(label ? { label } : {}),
    };
    try {
      await targets.dynamoDb.send(
        new PutItemCommand({ TableName: targets.tableName, Item: toItem(item), ConditionExpression: 'attribute_not_exists(keyHash)' }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new CameraKeyError(`A key with this value is already in ${targets.tableName}; nothing was created.`);
      throw error;
    }
    return { keyId: key.id, stationId, apiKey, usagePlanId: plan.id, name, createdAt, limits, ...(label ? { label } : {}) };
  } catch (error) {
    const leftOver = await undoCreate(targets, made);
    if (leftOver.length === 0) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new CameraKeyError(`${message} — and undoing failed, delete by hand in API Gateway: ${leftOver.join(', ')}`);
  }
}

/** Remove what a failed create made, newest first; resolves with what could not be removed. */
async function undoCreate(targets: CameraKeyTargets, made: { keyId?: string; usagePlanId?: string; planKey?: boolean }): Promise<string[]> {
  const leftOver: string[] = [];
  if (made.usagePlanId) {
    try {
      if (made.planKey && made.keyId)
        await ignoreNotFound(targets.apiGateway.send(new DeleteUsagePlanKeyCommand({ usagePlanId: made.usagePlanId, keyId: made.keyId })));
      await deleteUsagePlan(targets.apiGateway, made.usagePlanId);
    } catch {
      leftOver.push(`usage plan ${made.usagePlanId}`);
    }
  }
  if (made.keyId) {
    try {
      await ignoreNotFound(targets.apiGateway.send(new DeleteApiKeyCommand({ apiKey: made.keyId })));
    } catch {
      leftOver.push(`API key ${made.keyId}`);
    }
  }
  return leftOver;
}

/**
 * Every key in the table (optionally one station's), oldest first within each station, never a value. With
 * `withLimits` (the default) each plan's limits are read with GetUsagePlan; a plan that cannot be read has none.
 */
export async function listCameraKeys(targets: CameraKeyTargets, options: { stationId?: string; withLimits?: boolean } = {}): Promise<CameraKeyListing[]> {
  const items = await scanKeys(targets, options.stationId !== undefined ? { stationId: options.stationId } : {});
  items.sort((a, b) => a.stationId.localeCompare(b.stationId) || a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId));
  const listings: CameraKeyListing[] = [];
  for (const item of items) {
    let limits: CameraPlanLimits | undefined;
    if (options.withLimits !== false && item.usagePlanId) {
      try {
        limits = limitsOf(await targets.apiGateway.send(new GetUsagePlanCommand({ usagePlanId: item.usagePlanId })));
      } catch (error) {
        if (!(error instanceof NotFoundException)) throw error;
      }
    }
    listings.push({
      keyId: item.keyId,
      stationId: item.stationId,
      state: item.state,
      createdAt: item.createdAt,
      ...(item.label ? { label: item.label } : {}),
      ...(item.revokedAt ? { revokedAt: item.revokedAt } : {}),
      ...(item.usagePlanId ? { usagePlanId: item.usagePlanId } : {}),
      ...(limits ? { limits } : {}),
    });
  }
  return listings;
}

/**
 * Revoke a key: first the table's item becomes `revoked` with `revokedAt` (the request authorizer refuses the key from
 * its next request: 403), then API Gateway disables the key and its usage plan key and plan are deleted (API Gateway
 * refuses it too). Idempotent: revoking again keeps the first revokedAt and makes sure of the API Gateway side again.
 */
export async function revokeCameraKey(targets: CameraKeyTargets, request: { keyId: string }): Promise<RevokedCameraKey> {
  const [item] = await scanKeys(targets, { keyId: request.keyId });
  if (!item) throw new CameraKeyError(`No camera key ${request.keyId} in ${targets.tableName} (npm run camera:key -- list shows the keys).`);
  const now = new Date((targets.now ?? Date.now)()).toISOString();
  const updated = await targets.dynamoDb.send(
    new UpdateItemCommand({
      TableName: targets.tableName,
      Key: { keyHash: { S: item.keyHash } },
      UpdateExpression: 'SET #state = :revoked, revokedAt = if_not_exists(revokedAt, :now)',
      ConditionExpression: 'attribute_exists(keyHash)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':revoked': { S: 'revoked' }, ':now': { S: now } },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const revokedAt = updated.Attributes?.revokedAt?.S ?? now;
  await ignoreNotFound(
    targets.apiGateway.send(new UpdateApiKeyCommand({ apiKey: item.keyId, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] })),
  );
  await removeFromUsagePlans(targets.apiGateway, item.keyId, item.usagePlanId);
  return { keyId: item.keyId, stationId: item.stationId, revokedAt, alreadyRevoked: item.state === 'revoked' };
}

/**
 * Replace a key: a new key for the same station, label and plan limits, then the old one revoked (no grace period).
 * Named by key id, or by station when the station has exactly one active key. When revoking the old key fails, the new
 * key is still returned (its value must be shown) with `revokeFailure`, and the old key stays active.
 */
export async function rotateCameraKey(targets: CameraKeyTargets, request: { keyId?: string; stationId?: string }): Promise<RotatedCameraKey> {
  let old: StoredCameraKey | undefined;
  if (request.keyId !== undefined) {
    [old] = await scanKeys(targets, { keyId: request.keyId });
    if (!old) throw new CameraKeyError(`No camera key ${request.keyId} in ${targets.tableName} (npm run camera:key -- list shows the keys).`);
    if (old.stationId !== (request.stationId ?? old.stationId))
      throw new CameraKeyError(`Key ${old.keyId} belongs to station ${old.stationId}, not ${request.stationId}.`);
  } else if (request.stationId !== undefined) {
    const active = (await scanKeys(targets, { stationId: request.stationId })).filter((item) => item.state === 'active');
    if (active.length === 0) throw new CameraKeyError(`Station ${request.stationId} has no active camera key to rotate (create one).`);
    if (active.length > 1)
      throw new CameraKeyError(
        `Station ${request.stationId} has ${active.length} active keys (${active.map((item) => item.keyId).join(', ')}); name one with --key-id.`,
      );
    old = active[0];
  } else {
    throw new CameraKeyError('Name the key to rotate: --key-id ID, or --station STATION when it has exactly one active key.');
  }
  if (!old) throw new CameraKeyError('No key to rotate.');
  if (old.state !== 'active') throw new CameraKeyError(`Key ${old.keyId} is already revoked; create a new key for station ${old.stationId} instead.`);
  let limits: CameraPlanLimits = { ...DEFAULT_CAMERA_PLAN_LIMITS };
  if (old.usagePlanId) {
    try {
      limits = limitsOf(await targets.apiGateway.send(new GetUsagePlanCommand({ usagePlanId: old.usagePlanId }))) ?? limits;
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error;
    }
  }
  const created = await createCameraKey(targets, { stationId: old.stationId, limits, ...(old.label ? { label: old.label } : {}) });
  try {
    const revoked = await revokeCameraKey(targets, { keyId: old.keyId });
    return { created, revoked, previousKeyId: old.keyId };
  } catch (error) {
    return { created, previousKeyId: old.keyId, revokeFailure: error instanceof Error ? error.message : String(error) };
  }
}

/** Take the key out of its usage plans; delete its own plan (the item's) once no other key is in it. */
async function removeFromUsagePlans(apiGateway: APIGatewayClient, keyId: string, ownPlanId: string | undefined): Promise<void> {
  const planIds = new Set<string>(ownPlanId ? [ownPlanId] : []);
  try {
    let position: string | undefined;
    do {
      const page = await apiGateway.send(new GetUsagePlansCommand({ keyId, limit: 500, ...(position ? { position } : {}) }));
      for (const plan of page.items ?? []) if (plan.id) planIds.add(plan.id);
      position = page.position;
    } while (position);
  } catch (error) {
    // The key itself is gone from API Gateway: only its own plan may be left.
    if (!(error instanceof NotFoundException)) throw error;
  }
  for (const usagePlanId of planIds) {
    await ignoreNotFound(apiGateway.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId })));
    if (usagePlanId !== ownPlanId) continue;
    let others: number;
    try {
      others = (await apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId, limit: 1 }))).items?.length ?? 0;
    } catch (error) {
      if (error instanceof NotFoundException) continue;
      throw error;
    }
    if (others === 0) await deleteUsagePlan(apiGateway, usagePlanId);
  }
}

/**
 * Delete an API key from API Gateway with the plans made for it (a plan named like the key, left without keys); a plan
 * shared with other keys only loses this key. For a key no table item names any more (the local seed's clean-up).
 */
export async function deleteCameraApiKey(apiGateway: APIGatewayClient, keyId: string): Promise<void> {
  let key;
  try {
    key = await apiGateway.send(new GetApiKeyCommand({ apiKey: keyId }));
  } catch (error) {
    if (error instanceof NotFoundException) return;
    throw error;
  }
  const plans = await apiGateway.send(new GetUsagePlansCommand({ keyId, limit: 500 }));
  for (const plan of plans.items ?? []) {
    if (!plan.id) continue;
    await ignoreNotFound(apiGateway.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan.id, keyId })));
    if (plan.name !== key.name) continue;
    const others = await apiGateway.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id, limit: 1 }));
    if ((others.items ?? []).length === 0) await deleteUsagePlan(apiGateway, plan.id);
  }
  await ignoreNotFound(apiGateway.send(new DeleteApiKeyCommand({ apiKey: keyId })));
}

/** Delete a usage plan: API Gateway refuses while API stages are associated with it, so those are removed first. */
async function deleteUsagePlan(apiGateway: APIGatewayClient, usagePlanId: string): Promise<void> {
  let plan: UsagePlan;
  try {
    plan = await apiGateway.send(new GetUsagePlanCommand({ usagePlanId }));
  } catch (error) {
    if (error instanceof NotFoundException) return;
    throw error;
  }
  const stages = (plan.apiStages ?? []).filter((stage) => stage.apiId && stage.stage);
  if (stages.length > 0) {
    await apiGateway.send(
      new UpdateUsagePlanCommand({
        usagePlanId,
        patchOperations: stages.map((stage) => ({ op: 'remove', path: '/apiStages', value: `${stage.apiId}:${stage.stage}` })),
      }),
    );
  }
  await ignoreNotFound(apiGateway.send(new DeleteUsagePlanCommand({ usagePlanId })));
}

async function ignoreNotFound(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
}

/** The items matching one key id or one station (a scan: the table holds one item per camera key ever made). */
async function scanKeys(targets: CameraKeyTargets, filter: { keyId?: string; stationId?: string }): Promise<StoredCameraKey[]> {
  const [attribute, value] = filter.keyId !== undefined ? ['keyId', filter.keyId] : filter.stationId !== undefined ? ['stationId', filter.stationId] : [];
  const items: StoredCameraKey[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await targets.dynamoDb.send(
      new ScanCommand({
        TableName: targets.tableName,
        ConsistentRead: true,
        ...(attribute && value !== undefined
          ? {
              FilterExpression: '#attribute = :value',
              ExpressionAttributeNames: { '#attribute': attribute },
              ExpressionAttributeValues: { ':value': { S: value } },
            }
          : {}),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const stored = fromItem(item);
      if (stored) items.push(stored);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

function toItem(item: StoredCameraKey): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) if (typeof value === 'string') attributes[name] = { S: value };
  return attributes;
}

function fromItem(item: Record<string, AttributeValue>): StoredCameraKey | undefined {
  const text = (name: string) => item[name]?.S;
  const keyHash = text('keyHash');
  const keyId = text('keyId');
  const stationId = text('stationId');
  if (!keyHash || !keyId || !stationId) return undefined;
  const label = text('label');
  const revokedAt = text('revokedAt');
  const usagePlanId = text('usagePlanId');
  return {
    keyHash,
    keyId,
    stationId,
    // As the authorizer reads it: anything but an explicit `active` is revoked.
    state: text('state') === 'active' ? 'active' : 'revoked',
    createdAt: text('createdAt') ?? '',
    ...(label ? { label } : {}),
    ...(revokedAt ? { revokedAt } : {}),
    ...(usagePlanId ? { usagePlanId } : {}),
  };
}

function limitsOf(plan: UsagePlan): CameraPlanLimits | undefined {
  const rateLimit = plan.throttle?.rateLimit;
  const burstLimit = plan.throttle?.burstLimit;
  const dailyQuota = plan.quota?.period === 'DAY' ? plan.quota.limit : undefined;
  if (rateLimit === undefined || burstLimit === undefined || dailyQuota === undefined) return undefined;
  return { rateLimit, burstLimit, dailyQuota };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** Six characters of [a-z0-9], to tell a station's keys apart by name. */
function shortId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let index = 0; index < 6; index += 1) id += alphabet[randomInt(alphabet.length)];
  return id;
}

// ---- the command ----

/** The stack outputs the command reads (resources/outputs.yml). */
export interface CameraKeyStackOutputs {
  restApiId?: string;
  apiStage?: string;
  tableName?: string;
  stationsTable?: string;
  /** The stack's cameraRateLimit / cameraBurstLimit / cameraDailyQuota params: the plan a new key gets unless told otherwise. */
  limits?: Partial<CameraPlanLimits>;
}

/** Read the camera key outputs of stack `stackName`; missing ones are undefined (the caller names what it still needs). */
export async function readCameraKeyStackOutputs(cloudFormation: Pick<CloudFormationClient, 'send'>, stackName: string): Promise<CameraKeyStackOutputs> {
  const outputs = await readStackOutputs(cloudFormation, stackName);
  const value = (key: string) => outputs.get(key);
  return {
    ...(value('RestApiId') ? { restApiId: value('RestApiId') } : {}),
    ...(value('ApiStageName') ? { apiStage: value('ApiStageName') } : {}),
    ...(value('CameraKeyTableName') ? { tableName: value('CameraKeyTableName') } : {}),
    ...(value('StationRegistryTableName') ? { stationsTable: value('StationRegistryTableName') } : {}),
    limits: definedOnly({
      rateLimit: numberOutput(value('CameraRateLimit')),
      burstLimit: numberOutput(value('CameraBurstLimit')),
      dailyQuota: numberOutput(value('CameraDailyQuota')),
    }),
  };
}

function numberOutput(text: string | undefined): number | undefined {
  const number = text === undefined ? Number.NaN : Number(text);
  return Number.isFinite(number) ? number : undefined;
}

const USAGE = [
  'Usage: npm run camera:key -- <command> [options] (--stage STAGE [--region R] | --rest-api-id ID --api-stage S --table T)',
  '  create --station STATION [--label TEXT] [--rate 2] [--burst 5] [--quota 20000] [--json]',
  '  list   [--station STATION] [--json]',
  '  rotate --key-id ID | --station STATION [--json]',
  '  revoke --key-id ID [--json]',
  'Targets: --stations-table T (check stations), --endpoint URL and --dynamodb-endpoint URL (local emulators).',
].join('\n');

const OPTIONS = {
  station: { type: 'string' },
  label: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  quota: { type: 'string' },
  'key-id': { type: 'string' },
  json: { type: 'boolean', default: false },
  stage: { type: 'string' },
  region: { type: 'string' },
  'rest-api-id': { type: 'string' },
  'api-stage': { type: 'string' },
  table: { type: 'string' },
  'stations-table': { type: 'string' },
  endpoint: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  'grace-minutes': { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

function numberOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new CameraKeyError(`--${name} must be a number (got "${text}")`);
  return value;
}

function describeLimits(limits: CameraPlanLimits): string {
  return `${limits.rateLimit} requests/s, burst ${limits.burstLimit}, ${limits.dailyQuota} requests a day`;
}

/** Print a new key: its value once, on a line of its own, with what to do with it. */
function printCreated(created: CreatedCameraKey, json: boolean, extra: Record<string, unknown> = {}): void {
  if (json) {
    console.log(JSON.stringify({ keyId: created.keyId, station: created.stationId, apiKey: created.apiKey, usagePlanId: created.usagePlanId, ...extra }));
    return;
  }
  console.log(
    `Created camera key ${created.keyId} for station ${created.stationId}${created.label ? ` ("${created.label}")` : ''}, usage plan ${created.usagePlanId}: ${describeLimits(created.limits)}.`,
  );
  console.log('The key is shown once, store it in the camera now (it sends it as the x-api-key header):');
  console.log(created.apiKey);
}

function printList(keys: CameraKeyListing[]): void {
  if (keys.length === 0) {
    console.log('No camera keys.');
    return;
  }
  const rows = [
    ['KEY ID', 'STATION', 'STATE', 'CREATED', 'REVOKED', 'RATE/S', 'BURST', 'QUOTA/DAY', 'LABEL'],
    ...keys.map((key) => [
      key.keyId,
      key.stationId,
      key.state,
      key.createdAt,
      key.revokedAt ?? '-',
      key.limits ? String(key.limits.rateLimit) : '-',
      key.limits ? String(key.limits.burstLimit) : '-',
      key.limits ? String(key.limits.dailyQuota) : '-',
      key.label ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '));
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...extra] = positionals;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (command === undefined) throw new CameraKeyError('Name a command: create, list, rotate or revoke (--help shows the options).');
  if (!['create', 'list', 'rotate', 'revoke'].includes(command))
    throw new CameraKeyError(`Unknown command "${command}": use create, list, rotate or revoke (--help shows the options).`);
  if (extra.length > 0) throw new CameraKeyError(`Unexpected argument "${extra[0]}" (options start with --).`);
  if (values['grace-minutes'] !== undefined) {
    throw new CameraKeyError(
      '--grace-minutes is not supported: rotate revokes the old key at once. For an overlap, create a second key for the station, install it, then revoke the old one.',
    );
  }

  const region = values.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  let restApiId = values['rest-api-id'];
  let apiStage = values['api-stage'];
  let tableName = values.table;
  let stationsTable = values['stations-table'];
  let stackLimits: Partial<CameraPlanLimits> = {};
  if (values.stage) {
    const cloudFormation = new CloudFormationClient({ region });
    try {
      const outputs = await readCameraKeyStackOutputs(cloudFormation, stackNameOf(values.stage));
      restApiId ??= outputs.restApiId;
      apiStage ??= outputs.apiStage;
      tableName ??= outputs.tableName;
      stationsTable ??= outputs.stationsTable;
      stackLimits = outputs.limits ?? {};
    } finally {
      cloudFormation.destroy();
    }
    const missing = [!restApiId && 'RestApiId', !apiStage && 'ApiStageName', !tableName && 'CameraKeyTableName'].filter(Boolean);
    if (missing.length > 0) throw new CameraKeyError(`Stack ${stackNameOf(values.stage)} has no ${missing.join(', ')} output; deploy the stack first.`);
  }
  if (!restApiId || !apiStage || !tableName) {
    throw new CameraKeyError('Name the targets: --stage STAGE (reads the stack outputs), or --rest-api-id ID --api-stage STAGE --table TABLE.');
  }

  const dynamoDbEndpoint = values['dynamodb-endpoint'] ?? values.endpoint;
  const apiGateway = createApiGatewayClient({ region, ...(values.endpoint ? { endpoint: values.endpoint } : {}) });
  const dynamoDb = createDynamoDbClient({ region, ...(dynamoDbEndpoint ? { endpoint: dynamoDbEndpoint } : {}) });
  try {
    const stations = stationsTable
      ? new DynamoDbStationRegistry({
          client: toDocumentClient(dynamoDb),
          tableName: stationsTable,
          allowedPrefixes: allowedPrefixesFrom(process.env.OPERATOR_COUNTRY_PREFIXES),
          cacheSeconds: 0,
        })
      : undefined;
    const targets: CameraKeyTargets = {
      apiGateway,
      dynamoDb,
      tableName,
      restApiId,
      apiStage,
      stage: values.stage ?? apiStage,
      ...(stations ? { stations } : {}),
    };
    const json = values.json;
    const uncheckedStation = () => {
      if (!stations) console.error('No station registry (--stations-table or the stack output StationRegistryTableName): the station was not checked.');
    };

    if (command === 'create') {
      if (!values.station) throw new CameraKeyError('create needs --station STATION.');
      uncheckedStation();
      // The flags, else the stack's camera plan params, else DEFAULT_CAMERA_PLAN_LIMITS.
      const limits = {
        ...stackLimits,
        ...definedOnly({
          rateLimit: numberOption('rate', values.rate),
          burstLimit: numberOption('burst', values.burst),
          dailyQuota: numberOption('quota', values.quota),
        }),
      };
      const created = await createCameraKey(targets, { stationId: values.station, ...(values.label !== undefined ? { label: values.label } : {}), limits });
      printCreated(created, json);
      return;
    }
    if (command === 'list') {
      const keys = await listCameraKeys(targets, values.station !== undefined ? { stationId: values.station } : {});
      if (json) console.log(JSON.stringify(keys));
      else printList(keys);
      return;
    }
    if (command === 'rotate') {
      if (!values['key-id'] && !values.station) throw new CameraKeyError('rotate needs --key-id ID (or --station STATION when it has exactly one active key).');
      uncheckedStation();
      const rotated = await rotateCameraKey(targets, {
        ...(values['key-id'] ? { keyId: values['key-id'] } : {}),
        ...(values.station ? { stationId: values.station } : {}),
      });
      printCreated(rotated.created, json, { revokedKeyId: rotated.revoked ? rotated.previousKeyId : null });
      if (rotated.revoked) {
        if (!json) console.log(`Revoked the previous key ${rotated.previousKeyId} at ${rotated.revoked.revokedAt}.`);
      } else {
        console.error(
          `The previous key ${rotated.previousKeyId} could not be revoked and is STILL ACTIVE (${rotated.revokeFailure ?? 'unknown error'}); run: npm run camera:key -- revoke --key-id ${rotated.previousKeyId}`,
        );
        process.exitCode = 1;
      }
      return;
    }
    if (!values['key-id']) throw new CameraKeyError('revoke needs --key-id ID.');
    const revoked = await revokeCameraKey(targets, { keyId: values['key-id'] });
    if (json)
      console.log(JSON.stringify({ keyId: revoked.keyId, station: revoked.stationId, revokedAt: revoked.revokedAt, alreadyRevoked: revoked.alreadyRevoked }));
    else
      console.log(
        revoked.alreadyRevoked
          ? `Camera key ${revoked.keyId} (station ${revoked.stationId}) was already revoked at ${revoked.revokedAt}; its API Gateway key is disabled and out of its usage plan.`
          : `Revoked camera key ${revoked.keyId} (station ${revoked.stationId}) at ${revoked.revokedAt}: the authorizer refuses it now, and API Gateway too (key disabled, usage plan deleted).`,
      );
  } finally {
    apiGateway.destroy();
    dynamoDb.destroy();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    // One line, no stack trace: a user error says what to do, an AWS error its name and message.
    if (error instanceof CameraKeyError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(error.message);
    } else if (error instanceof Error) {
      console.error(`camera:key failed: ${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`);
    } else {
      console.error(`camera:key failed: ${String(error)}`);
    }
    process.exitCode = 1;
  });
}
