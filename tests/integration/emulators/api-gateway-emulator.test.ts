import {
  BadRequestException,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TagResourceCommand,
  TooManyRequestsException,
  UpdateApiKeyCommand,
  UpdateUsagePlanCommand,
  type APIGatewayClient,
  type QuotaPeriodType,
} from '@aws-sdk/client-api-gateway';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiGatewayClient } from '../../../functions/adapters/aws-clients';
import { peopleUsageKey } from '../../../functions/adapters/apigateway/people-usage-key';
import { ApiGatewayEmulator } from '../../../local/emulators/api-gateway-emulator';

// The real @aws-sdk/client-api-gateway (the factory the functions use) against the emulator, and boto3 as a second,
// independent client: the shapes, routes and errors of the API Gateway control plane as its service model documents them.
const T0 = Date.parse('2026-11-26T12:00:00Z');
const emulator = new ApiGatewayEmulator({ now: () => T0 });
let client: APIGatewayClient;
let directory: string;
let unique = 0;

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A usage plan on API `api1` stage `dev` (or the stage given), with a throttle and a daily quota. */
async function plan(stage = 'dev') {
  unique += 1;
  return client.send(
    new CreateUsagePlanCommand({
      name: `plan-${unique}`,
      apiStages: [{ apiId: 'api1', stage }],
      throttle: { rateLimit: 2, burstLimit: 5 },
      quota: { limit: 20000, period: 'DAY' },
    }),
  );
}

beforeAll(async () => {
  await emulator.start();
  client = createApiGatewayClient({ region: 'us-east-1', endpoint: emulator.endpoint });
  directory = await mkdtemp(path.join(tmpdir(), 'waferwatch-apigw-'));
});

afterAll(async () => {
  client?.destroy();
  await emulator.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('API Gateway emulator: API keys', () => {
  it('CreateApiKey answers 201 with a generated 40-character [A-Za-z0-9] value, the name, tags and createdDate in epoch seconds', async () => {
    // Act
    const key = await client.send(
      new CreateApiKeyCommand({ name: 'camera-a', description: 'litho-3 camera A', enabled: true, generateDistinctId: true, tags: { station: 'litho-3' } }),
    );

    // Assess
    expect(key.$metadata.httpStatusCode).toBe(201);
    expect(key.id).toMatch(/^[a-z0-9]{10}$/);
    expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(key).toMatchObject({ name: 'camera-a', description: 'litho-3 camera A', enabled: true, stageKeys: [], tags: { station: 'litho-3' } });
    expect(key.createdDate).toEqual(new Date(T0));
    expect(key.lastUpdatedDate).toEqual(new Date(T0));
    const raw = emulator.requests().at(-1)!;
    expect(raw).toMatchObject({ method: 'POST', path: '/apikeys', status: 201 });
    expect(JSON.parse(raw.body.toString('utf8'))).toMatchObject({ name: 'camera-a', enabled: true, generateDistinctId: true });
  });

  it('keeps a given value, refuses one under 20 characters (400) and one already in use (409 API Key already exists)', async () => {
    // Prepare
    const value = `given-value-${++unique}-abcdefghijklmnop`;

    // Act
    const key = await client.send(new CreateApiKeyCommand({ name: 'given', value, enabled: true }));
    const short = await caught(client.send(new CreateApiKeyCommand({ name: 'short', value: 'tooshort' })));
    const again = await caught(client.send(new CreateApiKeyCommand({ name: 'again', value })));

    // Assess
    expect(key.value).toBe(value);
    expect(short).toBeInstanceOf(BadRequestException);
    expect((short as Error).message).toBe('API Key value should be at least 20 characters');
    expect(again).toBeInstanceOf(ConflictException);
    expect((again as Error).message).toBe('API Key already exists');
    expect((again as ConflictException).$metadata.httpStatusCode).toBe(409);
  });

  it('a key is disabled unless created enabled, as in API Gateway', async () => {
    // Act
    const key = await client.send(new CreateApiKeyCommand({ name: 'default-disabled' }));

    // Assess
    expect(key.enabled).toBe(false);
  });

  it('GetApiKey shows the value only with includeValue=true, and answers 404 NotFoundException for an unknown id', async () => {
    // Prepare
    const created = await client.send(new CreateApiKeyCommand({ name: 'get-me', enabled: true }));

    // Act
    const without = await client.send(new GetApiKeyCommand({ apiKey: created.id }));
    const withValue = await client.send(new GetApiKeyCommand({ apiKey: created.id, includeValue: true }));
    const missing = await caught(client.send(new GetApiKeyCommand({ apiKey: 'nosuchkey0' })));

    // Assess
    expect(without.value).toBeUndefined();
    expect(without.name).toBe('get-me');
    expect(withValue.value).toBe(created.value);
    expect(emulator.requests().at(-2)?.path).toBe(`/apikeys/${created.id}?includeValue=true`);
    expect(missing).toBeInstanceOf(NotFoundException);
    expect((missing as Error).message).toBe('Invalid API Key identifier specified');
  });

  it('GetApiKeys filters by name prefix, shows values only with includeValues, and pages with limit and position', async () => {
    // Prepare
    const prefix = `paged-${++unique}-`;
    const made = [];
    for (let index = 0; index < 5; index += 1) made.push(await client.send(new CreateApiKeyCommand({ name: `${prefix}${index}`, enabled: true })));

    // Act
    const first = await client.send(new GetApiKeysCommand({ nameQuery: prefix, limit: 2 }));
    const second = await client.send(new GetApiKeysCommand({ nameQuery: prefix, limit: 2, position: first.position }));
    const third = await client.send(new GetApiKeysCommand({ nameQuery: prefix, limit: 2, position: second.position }));
    const withValues = await client.send(new GetApiKeysCommand({ nameQuery: prefix, includeValues: true }));

    // Assess
    expect(first.items?.map((key) => key.name)).toEqual([`${prefix}0`, `${prefix}1`]);
    expect(first.items?.every((key) => key.value === undefined)).toBe(true);
    expect(second.items?.map((key) => key.name)).toEqual([`${prefix}2`, `${prefix}3`]);
    expect(third.items?.map((key) => key.name)).toEqual([`${prefix}4`]);
    expect(third.position).toBeUndefined();
    expect(withValues.items?.map((key) => key.value)).toEqual(made.map((key) => key.value));
  });

  it('UpdateApiKey replaces /enabled, /name and /description, and refuses another path or op (400)', async () => {
    // Prepare
    const created = await client.send(new CreateApiKeyCommand({ name: 'patch-me', enabled: true }));

    // Act
    const updated = await client.send(
      new UpdateApiKeyCommand({
        apiKey: created.id,
        patchOperations: [
          { op: 'replace', path: '/enabled', value: 'false' },
          { op: 'replace', path: '/name', value: 'patched' },
          { op: 'replace', path: '/description', value: 'now disabled' },
        ],
      }),
    );
    const badPath = await caught(
      client.send(new UpdateApiKeyCommand({ apiKey: created.id, patchOperations: [{ op: 'replace', path: '/value', value: 'x' }] })),
    );
    const badOp = await caught(client.send(new UpdateApiKeyCommand({ apiKey: created.id, patchOperations: [{ op: 'remove', path: '/name' }] })));
    const missing = await caught(client.send(new UpdateApiKeyCommand({ apiKey: 'nosuchkey0', patchOperations: [] })));

    // Assess
    expect(updated).toMatchObject({ id: created.id, enabled: false, name: 'patched', description: 'now disabled' });
    expect(updated.value).toBeUndefined();
    expect(badPath).toBeInstanceOf(BadRequestException);
    expect((badPath as Error).message).toContain("Invalid patch path '/value' specified for op 'replace'");
    expect(badOp).toBeInstanceOf(BadRequestException);
    expect(missing).toBeInstanceOf(NotFoundException);
    expect(emulator.apiKey(created.id!)?.enabled).toBe(false);
  });

  it('DeleteApiKey answers 202, takes the key out of its usage plans, and then 404', async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'delete-me', enabled: true }));
    const usagePlan = await plan();
    await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: usagePlan.id, keyId: key.id, keyType: 'API_KEY' }));

    // Act
    const deleted = await client.send(new DeleteApiKeyCommand({ apiKey: key.id }));
    const again = await caught(client.send(new DeleteApiKeyCommand({ apiKey: key.id })));

    // Assess
    expect(deleted.$metadata.httpStatusCode).toBe(202);
    expect(again).toBeInstanceOf(NotFoundException);
    expect((await client.send(new GetUsagePlanKeysCommand({ usagePlanId: usagePlan.id }))).items).toEqual([]);
  });

  it('TagResource (204) merges tags into a key, found by its ARN', async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'tag-me', tags: { station: 'etch-1' } }));

    // Act
    const tagged = await client.send(
      new TagResourceCommand({ resourceArn: `arn:aws:apigateway:us-east-1::/apikeys/${key.id}`, tags: { service: 'waferwatch' } }),
    );
    const unknown = await caught(client.send(new TagResourceCommand({ resourceArn: 'arn:aws:apigateway:us-east-1::/apikeys/nosuchkey0', tags: { a: 'b' } })));

    // Assess
    expect(tagged.$metadata.httpStatusCode).toBe(204);
    expect((await client.send(new GetApiKeyCommand({ apiKey: key.id }))).tags).toEqual({ station: 'etch-1', service: 'waferwatch' });
    expect(unknown).toBeInstanceOf(NotFoundException);
  });

  it("serves the request authorizer's read of the people's usage key (GetApiKey includeValue)", async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'people', enabled: true }));

    // Act
    const value = await peopleUsageKey({ client, apiKeyId: key.id! })();

    // Assess
    expect(value).toBe(key.value);
  });
});

describe('API Gateway emulator: usage plans and their keys', () => {
  it('CreateUsagePlan (201), GetUsagePlan and GetUsagePlans with a keyId filter answer the plan with its stages, throttle and quota', async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'planned', enabled: true }));

    // Act
    const created = await plan();
    const planKey = await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: created.id, keyId: key.id, keyType: 'API_KEY' }));
    const read = await client.send(new GetUsagePlanCommand({ usagePlanId: created.id }));
    const ofKey = await client.send(new GetUsagePlansCommand({ keyId: key.id }));
    const keys = await client.send(new GetUsagePlanKeysCommand({ usagePlanId: created.id }));

    // Assess
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created.id).toMatch(/^[a-z0-9]{6}$/);
    expect(read).toMatchObject({
      id: created.id,
      apiStages: [{ apiId: 'api1', stage: 'dev' }],
      throttle: { rateLimit: 2, burstLimit: 5 },
      quota: { limit: 20000, offset: 0, period: 'DAY' },
    });
    expect(planKey).toMatchObject({ id: key.id, type: 'API_KEY', value: key.value, name: 'planned' });
    expect(planKey.$metadata.httpStatusCode).toBe(201);
    expect(ofKey.items?.map((item) => item.id)).toEqual([created.id]);
    expect(keys.items).toEqual([{ id: key.id, type: 'API_KEY', value: key.value, name: 'planned' }]);
  });

  it('refuses a key twice in one plan, or in two plans of the same API stage (409), an unknown key or plan (404), another key type (400)', async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'conflicted', enabled: true }));
    const first = await plan();
    const sameStage = await plan();
    const otherStage = await plan('prod');
    await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: first.id, keyId: key.id, keyType: 'API_KEY' }));

    // Act
    const twice = await caught(client.send(new CreateUsagePlanKeyCommand({ usagePlanId: first.id, keyId: key.id, keyType: 'API_KEY' })));
    const sameApiStage = await caught(client.send(new CreateUsagePlanKeyCommand({ usagePlanId: sameStage.id, keyId: key.id, keyType: 'API_KEY' })));
    const elsewhere = await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: otherStage.id, keyId: key.id, keyType: 'API_KEY' }));
    const unknownKey = await caught(client.send(new CreateUsagePlanKeyCommand({ usagePlanId: first.id, keyId: 'nosuchkey0', keyType: 'API_KEY' })));
    const unknownPlan = await caught(client.send(new CreateUsagePlanKeyCommand({ usagePlanId: 'nosuch', keyId: key.id, keyType: 'API_KEY' })));
    const wrongType = await caught(client.send(new CreateUsagePlanKeyCommand({ usagePlanId: sameStage.id, keyId: key.id, keyType: 'COGNITO' })));

    // Assess
    expect(twice).toBeInstanceOf(ConflictException);
    expect(sameApiStage).toBeInstanceOf(ConflictException);
    expect((sameApiStage as Error).message).toContain('cannot reference multiple Usage Plans with the same API Stage: api1:dev');
    expect(elsewhere.id).toBe(key.id);
    expect(unknownKey).toBeInstanceOf(NotFoundException);
    expect(unknownPlan).toBeInstanceOf(NotFoundException);
    expect((unknownPlan as Error).message).toBe('Invalid Usage Plan ID specified');
    expect(wrongType).toBeInstanceOf(BadRequestException);
  });

  it('DeleteUsagePlan is refused while API stages are associated (400), then succeeds once UpdateUsagePlan removed them', async () => {
    // Prepare
    const usagePlan = await plan();

    // Act
    const refused = await caught(client.send(new DeleteUsagePlanCommand({ usagePlanId: usagePlan.id })));
    const badRemove = await caught(
      client.send(new UpdateUsagePlanCommand({ usagePlanId: usagePlan.id, patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api1:other' }] })),
    );
    const updated = await client.send(
      new UpdateUsagePlanCommand({ usagePlanId: usagePlan.id, patchOperations: [{ op: 'remove', path: '/apiStages', value: 'api1:dev' }] }),
    );
    const deleted = await client.send(new DeleteUsagePlanCommand({ usagePlanId: usagePlan.id }));
    const gone = await caught(client.send(new GetUsagePlanCommand({ usagePlanId: usagePlan.id })));

    // Assess
    expect(refused).toBeInstanceOf(BadRequestException);
    expect((refused as Error).message).toBe(`Cannot delete Usage Plan ${usagePlan.id} because there are API Stages associated with it, including api1:dev`);
    expect(badRemove).toBeInstanceOf(BadRequestException);
    expect((badRemove as Error).message).toBe('Invalid API Stage specified');
    expect(updated.apiStages).toEqual([]);
    expect(deleted.$metadata.httpStatusCode).toBe(202);
    expect(gone).toBeInstanceOf(NotFoundException);
  });

  it('UpdateUsagePlan replaces the throttle and quota, and refuses a quota period other than DAY, WEEK, MONTH', async () => {
    // Prepare
    const usagePlan = await plan();

    // Act
    const updated = await client.send(
      new UpdateUsagePlanCommand({
        usagePlanId: usagePlan.id,
        patchOperations: [
          { op: 'replace', path: '/throttle/rateLimit', value: '10' },
          { op: 'replace', path: '/throttle/burstLimit', value: '20' },
          { op: 'replace', path: '/quota/limit', value: '500' },
        ],
      }),
    );
    const badPeriod = await caught(
      client.send(new UpdateUsagePlanCommand({ usagePlanId: usagePlan.id, patchOperations: [{ op: 'replace', path: '/quota/period', value: 'HOUR' }] })),
    );
    const badCreate = await caught(client.send(new CreateUsagePlanCommand({ name: 'bad', quota: { limit: 1, period: 'YEAR' as QuotaPeriodType } })));

    // Assess
    expect(updated).toMatchObject({ throttle: { rateLimit: 10, burstLimit: 20 }, quota: { limit: 500, period: 'DAY' } });
    expect(badPeriod).toBeInstanceOf(BadRequestException);
    expect(badCreate).toBeInstanceOf(BadRequestException);
  });

  it('DeleteUsagePlanKey answers 202, then 404 for a key no longer in the plan', async () => {
    // Prepare
    const key = await client.send(new CreateApiKeyCommand({ name: 'leaving', enabled: true }));
    const usagePlan = await plan('leave');
    await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: usagePlan.id, keyId: key.id, keyType: 'API_KEY' }));

    // Act
    const removed = await client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: usagePlan.id, keyId: key.id }));
    const again = await caught(client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: usagePlan.id, keyId: key.id })));

    // Assess
    expect(removed.$metadata.httpStatusCode).toBe(202);
    expect(again).toBeInstanceOf(NotFoundException);
    expect((await client.send(new GetUsagePlansCommand({ keyId: key.id }))).items).toEqual([]);
  });

  it('checks API stages against knownStages when given (404 for an unknown API or stage)', async () => {
    // Prepare
    const strict = new ApiGatewayEmulator({ knownStages: [{ apiId: 'abc123', stage: 'prod' }] });
    const strictClient = createApiGatewayClient({ region: 'us-east-1', endpoint: await strict.start() });

    try {
      // Act
      const known = await strictClient.send(new CreateUsagePlanCommand({ name: 'ok', apiStages: [{ apiId: 'abc123', stage: 'prod' }] }));
      const unknownApi = await caught(strictClient.send(new CreateUsagePlanCommand({ name: 'no', apiStages: [{ apiId: 'zzz', stage: 'prod' }] })));
      const unknownStage = await caught(strictClient.send(new CreateUsagePlanCommand({ name: 'no', apiStages: [{ apiId: 'abc123', stage: 'dev' }] })));

      // Assess
      expect(known.apiStages).toEqual([{ apiId: 'abc123', stage: 'prod' }]);
      expect(unknownApi).toBeInstanceOf(NotFoundException);
      expect((unknownApi as Error).message).toBe('Invalid API identifier specified');
      expect(unknownStage).toBeInstanceOf(NotFoundException);
      expect((unknownStage as Error).message).toBe('Invalid stage identifier specified');
    } finally {
      strictClient.destroy();
      await strict.close();
    }
  });
});

describe('API Gateway emulator: wire format, faults and persistence', () => {
  it('answers errors as API Gateway does: x-amzn-ErrorType and a lower-case {"message"} body', async () => {
    // Act
    const response = await fetch(`${emulator.endpoint}/apikeys/nosuchkey0`);

    // Assess
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^NotFoundException:/);
    expect(await response.json()).toEqual({ message: 'Invalid API Key identifier specified' });
  });

  it('answers lists as `item` (the service model jsonName), createdDate as epoch seconds', async () => {
    // Prepare
    const name = `wire-${++unique}`;
    await client.send(new CreateApiKeyCommand({ name, enabled: true }));

    // Act
    const response = await fetch(`${emulator.endpoint}/apikeys?name=${name}`);

    // Assess
    const body = (await response.json()) as { item: Array<Record<string, unknown>> };
    expect(body.item).toEqual([{ id: expect.any(String), name, enabled: true, createdDate: T0 / 1000, lastUpdatedDate: T0 / 1000, stageKeys: [] }]);
  });

  it('injected throttling is retried by the SDK; three in a row reach the caller as TooManyRequestsException', async () => {
    // Prepare
    emulator.failNext(1, 'TooManyRequestsException', 'Too Many Requests');

    // Act
    const retried = await client.send(new GetApiKeysCommand({ limit: 1 }));
    emulator.failNext(3, 'TooManyRequestsException', 'Too Many Requests');
    const failed = await caught(client.send(new GetApiKeysCommand({ limit: 1 })));

    // Assess
    expect(retried.$metadata.attempts).toBe(2);
    expect(failed).toBeInstanceOf(TooManyRequestsException);
  });

  it('keeps keys and plans in stateFile, readable only by its owner, so a restarted emulator knows them', async () => {
    // Prepare
    const stateFile = path.join(directory, 'apigateway', 'state.json');
    const before = new ApiGatewayEmulator({ stateFile });
    const beforeClient = createApiGatewayClient({ region: 'us-east-1', endpoint: await before.start() });
    const key = await beforeClient.send(new CreateApiKeyCommand({ name: 'kept', enabled: true }));
    const usagePlan = await beforeClient.send(
      new CreateUsagePlanCommand({ name: 'kept-plan', apiStages: [{ apiId: 'api1', stage: 'dev' }], throttle: { rateLimit: 1, burstLimit: 1 } }),
    );
    await beforeClient.send(new CreateUsagePlanKeyCommand({ usagePlanId: usagePlan.id, keyId: key.id, keyType: 'API_KEY' }));
    beforeClient.destroy();
    await before.close();

    // Act
    const after = new ApiGatewayEmulator({ stateFile });
    const afterClient = createApiGatewayClient({ region: 'us-east-1', endpoint: await after.start() });
    try {
      const read = await afterClient.send(new GetApiKeyCommand({ apiKey: key.id, includeValue: true }));
      const plans = await afterClient.send(new GetUsagePlansCommand({ keyId: key.id }));

      // Assess
      expect(read).toMatchObject({ id: key.id, value: key.value, name: 'kept', enabled: true });
      expect(plans.items?.map((item) => item.id)).toEqual([usagePlan.id]);
      expect(after.findApiKeyByValue(key.value!)?.id).toBe(key.id);
      expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ version: 1 });
    } finally {
      afterClient.destroy();
      await after.close();
    }
  });
});

// boto3 is a second, independent client built from botocore's own copy of the service model. `.ci/run` installs
// python3-boto3, as for the other emulators' boto3 tests; without it this test fails, saying what to install.
const PYTHON = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import boto3']).status === 0);

describe('API Gateway emulator with boto3 (the other SDK people point at it)', () => {
  it('has python3 with boto3 to run (apt-get install python3-boto3, or pip install boto3)', () => {
    expect(PYTHON).toBeDefined();
  });

  it('creates a key with a value, a plan and its usage plan key, reads them back, disables the key and tears the plan down', async () => {
    // Prepare
    const script = [
      'import json, sys, boto3',
      "gw = boto3.client('apigateway', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')",
      "key = gw.create_api_key(name='boto3-camera', enabled=True, generateDistinctId=True, value='boto3-value-0123456789abcdef', tags={'station': 'litho-3'})",
      "plan = gw.create_usage_plan(name='boto3-plan', apiStages=[{'apiId': 'api1', 'stage': 'boto'}], throttle={'rateLimit': 2.0, 'burstLimit': 5}, quota={'limit': 20000, 'period': 'DAY'})",
      "plan_key = gw.create_usage_plan_key(usagePlanId=plan['id'], keyId=key['id'], keyType='API_KEY')",
      "listed = gw.get_api_keys(nameQuery='boto3-', includeValues=True)['items']",
      "plans = gw.get_usage_plans(keyId=key['id'])['items']",
      "disabled = gw.update_api_key(apiKey=key['id'], patchOperations=[{'op': 'replace', 'path': '/enabled', 'value': 'false'}])",
      'try:',
      "    gw.delete_usage_plan(usagePlanId=plan['id'])",
      "    refused = ''",
      'except gw.exceptions.BadRequestException as error:',
      "    refused = error.response['Error']['Message']",
      "gw.delete_usage_plan_key(usagePlanId=plan['id'], keyId=key['id'])",
      "gw.update_usage_plan(usagePlanId=plan['id'], patchOperations=[{'op': 'remove', 'path': '/apiStages', 'value': 'api1:boto'}])",
      "gw.delete_usage_plan(usagePlanId=plan['id'])",
      'try:',
      "    gw.get_api_key(apiKey='nosuchkey0')",
      "    missing = ''",
      'except gw.exceptions.NotFoundException as error:',
      "    missing = error.response['Error']['Message']",
      'print(json.dumps({',
      "  'id': key['id'], 'value': key['value'], 'created': key['createdDate'].timestamp(), 'tags': key['tags'],",
      "  'planId': plan['id'], 'throttle': plan['throttle'], 'quota': plan['quota'], 'planKey': {k: plan_key[k] for k in ('id', 'type', 'value')},",
      "  'listed': [(k['name'], k['value']) for k in listed], 'plans': [p['id'] for p in plans], 'enabled': disabled['enabled'],",
      "  'refused': refused, 'missing': missing}))",
    ].join('\n');

    // Act
    const output = await new Promise<string>((resolve, reject) =>
      execFile(
        PYTHON!,
        ['-c', script, emulator.endpoint],
        { timeout: 60_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } },
        (error, stdout, stderr) => (error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout)),
      ),
    );

    // Assess
    const answer = JSON.parse(output);
    expect(answer).toMatchObject({
      value: 'boto3-value-0123456789abcdef',
      created: T0 / 1000,
      tags: { station: 'litho-3' },
      throttle: { rateLimit: 2, burstLimit: 5 },
      quota: { limit: 20000, period: 'DAY' },
      planKey: { id: answer.id, type: 'API_KEY', value: 'boto3-value-0123456789abcdef' },
      listed: [['boto3-camera', 'boto3-value-0123456789abcdef']],
      plans: [answer.planId],
      enabled: false,
      refused: `Cannot delete Usage Plan ${answer.planId} because there are API Stages associated with it, including api1:boto`,
      missing: 'Invalid API Key identifier specified',
    });
    expect(emulator.usagePlan(answer.planId)).toBeUndefined();
    expect(emulator.apiKey(answer.id)?.enabled).toBe(false);
  });
});
