import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchRoute, parseServerlessYaml, readAuthorizer, readServerlessApi, routesFromServerlessConfig } from '../../../local/serverless-routes';

const BASE_DIR = '/srv/app';

const YAML_WITH_TAGS = `
service: demo
provider:
  name: aws
  apiGateway:
    binaryMediaTypes: ['image/*', 'application/octet-stream']
  environment:
    IMAGE_BUCKET: !Ref ImageBucket
    QUEUE_ARN: !GetAtt [AlertQueue, Arn]
    SITE: !Sub 'https://\${SiteBucket}.s3.amazonaws.com'
    JOINED: !Join ['', ['a', !Ref B]]
    MAYBE: !If [IsProd, 'x', !Ref AWS::NoValue]
functions:
  inspectImage:
    handler: functions/handlers/inspect-image.handler
    events:
      - http: { path: /inspections, method: post, private: true, authorizer: { name: authorizeRequest, type: request, resultTtlInSeconds: 0 } }
  getInspection:
    handler: functions/handlers/get-inspection.handler
    events:
      - http:
          path: inspections/{id}
          method: GET
          private: false
          authorizer:
            type: COGNITO_USER_POOLS
            authorizerId: !Ref CognitoAuthorizer
  shortForm:
    handler: functions/nested/short-form.main
    events:
      - http: GET status
  camera:
    handler: functions/handlers/camera.handler
    events:
      - s3: { bucket: images, event: 's3:ObjectCreated:*' }
`;

describe('routesFromServerlessConfig', () => {
  it('reads http routes, handler modules and binary media types, tolerating CloudFormation tags', () => {
    // Prepare
    const document = parseServerlessYaml(YAML_WITH_TAGS);

    // Act
    const api = routesFromServerlessConfig(document, BASE_DIR);

    // Assess
    expect(api.binaryMediaTypes).toEqual(['image/*', 'application/octet-stream']);
    expect(api.routes).toEqual([
      {
        functionName: 'inspectImage',
        method: 'POST',
        resource: '/inspections',
        modulePath: path.resolve(BASE_DIR, 'functions/handlers/inspect-image.ts'),
        exportName: 'handler',
        authorizer: { kind: 'request', functionName: 'authorizeRequest' },
        private: true,
      },
      {
        functionName: 'getInspection',
        method: 'GET',
        resource: '/inspections/{id}',
        modulePath: path.resolve(BASE_DIR, 'functions/handlers/get-inspection.ts'),
        exportName: 'handler',
        authorizer: { kind: 'cognito' },
        private: false,
      },
      {
        functionName: 'shortForm',
        method: 'GET',
        resource: '/status',
        modulePath: path.resolve(BASE_DIR, 'functions/nested/short-form.ts'),
        exportName: 'main',
        authorizer: { kind: 'none' },
        private: false,
      },
    ]);
    expect(document).toMatchObject({ provider: { environment: { IMAGE_BUCKET: { '!Ref': 'ImageBucket' }, QUEUE_ARN: { '!GetAtt': ['AlertQueue', 'Arn'] } } } });
  });

  it('rejects a handler that is not <file>.<export>', () => {
    // Prepare
    const document = parseServerlessYaml('functions:\n  bad:\n    handler: nodot\n    events:\n      - http: { path: x, method: get }\n');

    // Act + Assess
    expect(() => routesFromServerlessConfig(document, BASE_DIR)).toThrow(/functions\.bad\.handler/);
  });
});

describe('readAuthorizer', () => {
  it('reads the REQUEST and COGNITO_USER_POOLS authorizers in the forms the framework accepts', () => {
    // Act + Assess
    expect(readAuthorizer({ name: 'authorizeRequest', type: 'request' }, 'here')).toEqual({ kind: 'request', functionName: 'authorizeRequest' });
    expect(readAuthorizer({ type: 'COGNITO_USER_POOLS', authorizerId: { '!Ref': 'CognitoAuthorizer' } }, 'here')).toEqual({ kind: 'cognito' });
    expect(readAuthorizer({ name: 'pool', arn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Ab' }, 'here')).toEqual({ kind: 'cognito' });
    expect(readAuthorizer('arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Ab', 'here')).toEqual({ kind: 'cognito' });
  });

  it('stops the start, naming the route, on an authorizer the local gateway would not enforce', () => {
    // Act + Assess
    expect(() => readAuthorizer('authorizeToken', 'functions.x GET /y')).toThrow(/^functions\.x GET \/y: .*not the TOKEN authorizer authorizeToken/);
    expect(() => readAuthorizer({ name: 'authorizeToken' }, 'here')).toThrow(/TOKEN/);
    expect(() => readAuthorizer({ type: 'aws_iam' }, 'here')).toThrow(/AWS_IAM/);
    expect(() => readAuthorizer({ type: 'request', arn: 'arn:aws:lambda:eu-west-1:1:function:elsewhere' }, 'here')).toThrow(/REQUEST/);
  });
});

describe('readServerlessApi', () => {
  it('reads the project serverless.yml so the local stack serves the deployed routes, each behind its authorizer', async () => {
    // Act
    const api = await readServerlessApi(path.resolve('serverless.yml'));

    // Assess
    const routes = Object.fromEntries(
      api.routes.map((route) => [`${route.method} ${route.resource}`, { authorizer: route.authorizer.kind, private: route.private }]),
    );
    expect(routes).toMatchObject({
      'POST /inspections': { authorizer: 'request', private: true },
      'POST /uploads': { authorizer: 'request', private: true },
      'GET /inspections/{id}': { authorizer: 'request', private: true },
      'GET /inspections': { authorizer: 'cognito', private: false },
      'GET /stations': { authorizer: 'cognito', private: false },
    });
    expect(api.routes.filter((route) => route.authorizer.kind === 'none')).toEqual([]);
    expect(api.binaryMediaTypes).toContain('image/*');
  });
});

describe('matchRoute', () => {
  const api = routesFromServerlessConfig(
    parseServerlessYaml(`
functions:
  list: { handler: f/list.handler, events: [{ http: { path: inspections, method: get } }] }
  get: { handler: f/get.handler, events: [{ http: { path: 'inspections/{id}', method: get } }] }
  latest: { handler: f/latest.handler, events: [{ http: { path: inspections/latest, method: get } }] }
  create: { handler: f/create.handler, events: [{ http: { path: inspections, method: post } }] }
  files: { handler: f/files.handler, events: [{ http: { path: 'files/{path+}', method: any } }] }
`),
    BASE_DIR,
  );

  it('prefers literal segments, decodes path parameters and honours method and ANY', () => {
    // Act
    const list = matchRoute(api.routes, 'GET', '/inspections/');
    const create = matchRoute(api.routes, 'post', '/inspections');
    const byId = matchRoute(api.routes, 'GET', '/inspections/abc%20d');
    const latest = matchRoute(api.routes, 'GET', '/inspections/latest');
    const files = matchRoute(api.routes, 'DELETE', '/files/a/b.png');

    // Assess
    expect(list).toEqual({ route: expect.objectContaining({ functionName: 'list' }), pathParameters: null });
    expect(create?.route.functionName).toBe('create');
    expect(byId).toEqual({ route: expect.objectContaining({ functionName: 'get' }), pathParameters: { id: 'abc d' } });
    expect(latest?.route.functionName).toBe('latest');
    expect(files).toEqual({ route: expect.objectContaining({ functionName: 'files' }), pathParameters: { path: 'a/b.png' } });
  });

  it('returns undefined for unknown paths and methods', () => {
    // Act + Assess
    expect(matchRoute(api.routes, 'DELETE', '/inspections')).toBeUndefined();
    expect(matchRoute(api.routes, 'GET', '/inspections/a/b')).toBeUndefined();
    expect(matchRoute(api.routes, 'GET', '/')).toBeUndefined();
  });
});
