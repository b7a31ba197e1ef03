import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInspectImageConfig } from '../../functions/wiring/inspect-image';
import { GATEWAY_RESPONSES } from '../../local/gateway/authorizers';
import { pageContentSecurityPolicy } from '../../local/static-files';
import {
  policyStatements,
  repoRoot,
  resourcesOfType,
  templateResource,
  templateText,
  usePackagedTemplate,
  type CloudFormationResource,
  type PolicyStatement,
} from '../helpers/packaged-template';

/** Services whose IAM statements must always name resources (issue 7; API Gateway and Cognito since issue 13). */
const SCOPED_SERVICES = ['s3', 'lookoutvision', 'connect', 'sqs', 'dynamodb', 'sns', 'apigateway', 'cognito-idp'];
const SITE_DOMAIN = '${SiteDistribution.DomainName}';
/** The Lambda request authorizer's logical id (osls names it after the function: authorizeRequest). */
const REQUEST_AUTHORIZER = 'AuthorizeRequestApiGatewayAuthorizer';

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);

const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;
const actionsOf = (statement: PolicyStatement): string[] => [statement.Action].flat();
const resourcesOf = (statement: PolicyStatement): string[] => [statement.Resource].flat().map(templateText);

/** The bucket policy attached to a bucket, by the bucket's logical id. */
function bucketPolicyOf(bucketId: string): PolicyStatement[] {
  const policy = resourcesOfType(template(), 'AWS::S3::BucketPolicy').find(
    ([, candidate]) => (candidate.Properties?.Bucket as { Ref?: string }).Ref === bucketId,
  );
  if (!policy) throw new Error(`${bucketId} has no bucket policy`);
  return policyStatements(policy[1].Properties?.PolicyDocument);
}

/** A CSP string as directive name -> sources. */
function cspDirectives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

function apiMethods(): Array<[string, Record<string, any>]> {
  return resourcesOfType(template(), 'AWS::ApiGateway::Method').map(([logicalId, method]) => [logicalId, method.Properties as Record<string, any>]);
}

describe('security of the packaged stack (issue 7)', () => {
  it('keeps every bucket, the site and access-log buckets included, private, encrypted and TLS-only', () => {
    // Prepare
    const buckets = resourcesOfType(template(), 'AWS::S3::Bucket');

    // Act
    const ids = buckets.map(([logicalId]) => logicalId);

    // Assess
    expect(ids).toEqual(expect.arrayContaining(['ImageBucket', 'SiteBucket', 'AccessLogBucket']));
    for (const [logicalId, bucket] of buckets) {
      const properties = bucket.Properties as Record<string, any>;
      expect(properties.PublicAccessBlockConfiguration, logicalId).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const rules = properties.BucketEncryption.ServerSideEncryptionConfiguration as Array<Record<string, any>>;
      expect(rules.length, logicalId).toBeGreaterThan(0);
      for (const rule of rules) expect(['AES256', 'aws:kms', 'aws:kms:dsse'], logicalId).toContain(rule.ServerSideEncryptionByDefault.SSEAlgorithm);
      const denyPlainHttp = bucketPolicyOf(logicalId).find(
        (statement) => statement.Effect === 'Deny' && String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false',
      );
      expect(denyPlainHttp, logicalId).toBeDefined();
      expect(denyPlainHttp?.Principal, logicalId).toBe('*');
      expect(actionsOf(denyPlainHttp!), logicalId).toEqual(['s3:*']);
      const denied = resourcesOf(denyPlainHttp!);
      expect(
        denied.some((text) => text.endsWith('/*')),
        `${logicalId} objects`,
      ).toBe(true);
      expect(
        denied.some((text) => !text.endsWith('/*')),
        `${logicalId} bucket`,
      ).toBe(true);
      // ACLs stay disabled everywhere but the access-log bucket, where CloudFront's standard log delivery needs them.
      const ownership = logicalId === 'AccessLogBucket' ? 'BucketOwnerPreferred' : 'BucketOwnerEnforced';
      if (logicalId !== 'ServerlessDeploymentBucket') expect(properties.OwnershipControls, logicalId).toEqual({ Rules: [{ ObjectOwnership: ownership }] });
    }
  });

  it('encrypts every queue and denies it any request not made over TLS', () => {
    // Prepare
    const queues = resourcesOfType(template(), 'AWS::SQS::Queue');
    const policies = resourcesOfType(template(), 'AWS::SQS::QueuePolicy').map(([, policy]) => policy.Properties as Record<string, any>);

    // Assess
    expect(queues.length).toBeGreaterThanOrEqual(4);
    for (const [queueId, queue] of queues) {
      expect(queue.Properties?.SqsManagedSseEnabled ?? queue.Properties?.KmsMasterKeyId, queueId).toBeTruthy();
      const covering = policies.filter((policy) => (policy.Queues as Array<{ Ref?: string }>).some((entry) => entry.Ref === queueId));
      const denial = covering
        .flatMap((policy) => policyStatements(policy.PolicyDocument))
        .find(
          (statement) =>
            statement.Effect === 'Deny' &&
            resourcesOf(statement).includes(`GetAtt:${queueId}.Arn`) &&
            (statement.Condition as Record<string, any> | undefined)?.Bool?.['aws:SecureTransport'] === 'false',
        );
      expect(denial, `${queueId} has no TLS-only policy`).toBeDefined();
      expect(actionsOf(denial!)).toEqual(['sqs:*']);
    }
  });

  it("lets only this stack's CloudFront distribution read the site bucket, and nobody else in through a bucket policy", () => {
    // Act
    const allows = resourcesOfType(template(), 'AWS::S3::BucketPolicy').flatMap(([logicalId, policy]) =>
      policyStatements(policy.Properties?.PolicyDocument)
        .filter((statement) => statement.Effect === 'Allow')
        .map((statement) => ({ logicalId, statement })),
    );
    const siteRead = bucketPolicyOf('SiteBucket').filter((statement) => statement.Effect === 'Allow');

    // Assess
    expect(siteRead).toHaveLength(1);
    expect(siteRead[0]?.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(actionsOf(siteRead[0]!)).toEqual(['s3:GetObject']);
    expect(resourcesOf(siteRead[0]!)).toEqual(['${SiteBucket.Arn}/*']);
    expect(templateText(siteRead[0]?.Condition?.StringEquals?.['AWS:SourceArn'])).toBe(
      'arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${SiteDistribution}',
    );
    // Every Allow in any bucket policy goes to an AWS service principal pinned to this account's resources.
    for (const { logicalId, statement } of allows) {
      expect(statement.Principal, logicalId).toEqual({ Service: expect.stringMatching(/\.amazonaws\.com$/) });
      expect(statement.Condition, logicalId).toBeDefined();
    }
  });

  it('grants no S3, Lookout for Vision, Connect, SQS, DynamoDB, SNS, API Gateway or Cognito action on a wildcard resource, in any IAM policy', () => {
    // Prepare
    const documents = [
      ...resourcesOfType(template(), 'AWS::IAM::Role').flatMap(([, role]) =>
        ((role.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>).map((policy) => policy.PolicyDocument),
      ),
      ...resourcesOfType(template(), 'AWS::IAM::Policy').map(([, policy]) => policy.Properties?.PolicyDocument),
      ...resourcesOfType(template(), 'AWS::IAM::ManagedPolicy').map(([, policy]) => policy.Properties?.PolicyDocument),
    ];

    // Act
    const allows = documents.flatMap(policyStatements).filter((statement) => statement.Effect === 'Allow');
    const scoped = allows.filter((statement) =>
      actionsOf(statement).some((action) => SCOPED_SERVICES.some((service) => action.toLowerCase().startsWith(`${service}:`))),
    );

    // Assess
    expect(scoped.length).toBeGreaterThan(0);
    for (const statement of allows) for (const action of actionsOf(statement)) expect(action, JSON.stringify(statement)).not.toMatch(/^\*$|:\*$/);
    for (const statement of scoped) {
      for (const text of resourcesOf(statement)) {
        expect(text, JSON.stringify(statement)).not.toBe('*');
        // arn:partition:service:region:account:* names every resource of the service.
        expect(text, JSON.stringify(statement)).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
      }
    }
  });

  it('puts an authorizer on every API method except the CORS preflight, which API Gateway answers itself without one', () => {
    // Act
    const methods = apiMethods();
    const preflights = methods.filter(([, method]) => method.HttpMethod === 'OPTIONS');
    const routes = methods.filter(([, method]) => method.HttpMethod !== 'OPTIONS');

    // Assess
    expect(routes.map(([, method]) => method.HttpMethod).sort()).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'POST']);
    for (const [logicalId, method] of routes) {
      expect(['CUSTOM', 'COGNITO_USER_POOLS'], logicalId).toContain(method.AuthorizationType);
      expect(method.AuthorizerId, logicalId).toBeDefined();
      expect(method.Integration.Type, logicalId).toBe('AWS_PROXY');
    }
    expect(preflights.length).toBe(8);
    for (const [logicalId, method] of preflights) {
      expect(method.AuthorizationType, logicalId).toBe('NONE');
      expect(method.ApiKeyRequired, logicalId).not.toBe(true);
      // A MOCK integration: the preflight reaches no function and cannot start anything.
      expect(method.Integration.Type, logicalId).toBe('MOCK');
    }
  });

  it("meters every key-guarded route through the authorizer's usage key, and signed-in people on a plan of their own, whose key no template holds", async () => {
    // Prepare
    const serverlessYml = await readFile(path.join(repoRoot, 'serverless.yml'), 'utf8');

    // Act
    const keys = resourcesOfType(template(), 'AWS::ApiGateway::ApiKey');
    const plans = resourcesOfType(template(), 'AWS::ApiGateway::UsagePlan');
    const planKeys = resourcesOfType(template(), 'AWS::ApiGateway::UsagePlanKey');
    const keyGuarded = apiMethods().filter(([, method]) => method.ApiKeyRequired === true);

    // Assess
    // The key comes from the request authorizer (a camera's own key, or the people's), never from a header API Gateway reads itself.
    expect(props('ApiGatewayRestApi').ApiKeySourceType).toBe('AUTHORIZER');
    expect(keyGuarded.length).toBe(4);
    for (const [logicalId, method] of keyGuarded) expect(method.AuthorizerId, logicalId).toEqual({ Ref: REQUEST_AUTHORIZER });
    // One key in the template, the people's; cameras' keys and plans are made at run time (npm run camera:key).
    expect(keys.map(([logicalId]) => logicalId)).toEqual(['PeopleApiKey']);
    // No Value: API Gateway generates it, so no template, parameter or repository holds it.
    expect(props('PeopleApiKey')).not.toHaveProperty('Value');
    expect(props('PeopleApiKey')).toMatchObject({ Enabled: true, Name: 'waferwatch-dev-people-1' });
    expect(serverlessYml).not.toMatch(/^\s+value:/m);
    expect(serverlessYml).not.toMatch(/^\s+apiKeys:|^\s+usagePlan:/m);
    expect(plans.map(([logicalId]) => logicalId)).toEqual(['PeopleUsagePlan']);
    const plan = props('PeopleUsagePlan');
    expect(plan.ApiStages).toEqual([{ ApiId: { Ref: 'ApiGatewayRestApi' }, Stage: 'dev' }]);
    expect(plan.Throttle.RateLimit).toBeGreaterThan(0);
    expect(plan.Throttle.BurstLimit).toBeGreaterThanOrEqual(plan.Throttle.RateLimit);
    expect(plan.Quota).toEqual({ Limit: expect.any(Number), Period: 'DAY' });
    expect(plan.Quota.Limit).toBeGreaterThan(0);
    // The stage a plan binds to is the framework deployment's: the plan waits for it.
    expect([resource('PeopleUsagePlan').DependsOn].flat()).toEqual([expect.stringMatching(/^ApiGatewayDeployment\d+$/)]);
    expect(planKeys.map(([, planKey]) => planKey.Properties)).toEqual([
      { KeyId: { Ref: 'PeopleApiKey' }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'PeopleUsagePlan' } },
    ]);
    // Nobody needs the people's key id but the authorizer: no output gives it away, and no key at all reaches the page.
    expect(template().Outputs).not.toHaveProperty('ApiKeyId');
    expect(JSON.stringify(template().Outputs)).not.toContain('PeopleApiKey');
  });

  it("answers a caller it cannot identify 401 and one it refuses 403, in the API's error shape, readable by the site (like the local stack)", () => {
    // Act
    const responses = resourcesOfType(template(), 'AWS::ApiGateway::GatewayResponse').map(([, response]) => response.Properties as Record<string, any>);
    const byType = new Map(responses.map((response) => [response.ResponseType as string, response]));
    const answer = (type: string) => ({
      status: byType.get(type)?.StatusCode,
      body: JSON.parse(byType.get(type)?.ResponseTemplates['application/json']) as { error: { code: string; message: string } },
    });

    // Assess
    expect([...byType.keys()].sort()).toEqual([
      'ACCESS_DENIED',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'EXPIRED_TOKEN',
      'INVALID_API_KEY',
      'INVALID_SIGNATURE',
      'UNAUTHORIZED',
    ]);
    expect(answer('UNAUTHORIZED')).toEqual({
      status: '401',
      body: { error: { code: 'UNAUTHENTICATED', message: 'Sign in (Authorization) or send a camera key (x-api-key).' } },
    });
    expect(answer('EXPIRED_TOKEN')).toMatchObject({ status: '401', body: { error: { code: 'UNAUTHENTICATED' } } });
    expect(answer('ACCESS_DENIED')).toMatchObject({ status: '403', body: { error: { code: 'FORBIDDEN' } } });
    expect(answer('INVALID_SIGNATURE')).toMatchObject({ status: '403', body: { error: { code: 'FORBIDDEN' } } });
    // The local gateway (local/gateway/authorizers.ts) answers each of these exactly as deployed.
    for (const type of ['UNAUTHORIZED', 'EXPIRED_TOKEN', 'ACCESS_DENIED', 'INVALID_API_KEY'] as const) {
      const local = GATEWAY_RESPONSES[type];
      expect(answer(type), type).toEqual({ status: String(local.status), body: { error: { code: local.code, message: local.message } } });
    }
    for (const response of responses) {
      expect(templateText(response.ResponseParameters['gatewayresponse.header.Access-Control-Allow-Origin']), response.ResponseType).toBe(
        `'https://${SITE_DOMAIN}'`,
      );
      expect(response.ResponseParameters['gatewayresponse.header.Content-Type'], response.ResponseType).toBe("'application/json; charset=utf-8'");
    }
  });

  it('answers CORS for exactly the CloudFront site plus allowedOrigins, in the preflight and in the functions', () => {
    // Prepare
    const inspect = resource('InspectImageLambdaFunction').Properties as Record<string, any>;
    const origins = inspect.Environment.Variables.ALLOWED_ORIGINS as { 'Fn::Sub': [string, Record<string, unknown>] };
    const [allowedText, variables] = origins['Fn::Sub'];
    // The site's custom domain, when set, is the second entry; empty here (no siteDomainName), which the list drops.
    const siteCustomOrigin = { 'Fn::If': ['SiteDomainGiven', 'https://', ''] };

    // Act
    const allowed = readInspectImageConfig({
      IMAGE_BUCKET: 'bucket',
      STAGE: 'dev',
      ALERT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/alerts',
      ALERT_STATE_TABLE: 'alert-state',
      ALLOWED_ORIGINS: allowedText.replace(SITE_DOMAIN, 'd111111abcdef8.cloudfront.net').replace('${SiteCustomOrigin}', ''),
    }).ALLOWED_ORIGINS;
    const preflights = apiMethods().filter(([, method]) => method.HttpMethod === 'OPTIONS');

    // Assess
    expect(variables).toEqual({ SiteCustomOrigin: siteCustomOrigin });
    expect(allowed).toEqual(['https://d111111abcdef8.cloudfront.net', 'http://localhost:3000']);
    for (const [logicalId, method] of preflights) {
      const [response] = method.Integration.IntegrationResponses as Array<Record<string, any>>;
      expect(templateText(response?.ResponseParameters['method.response.header.Access-Control-Allow-Origin']), logicalId).toBe(`'https://${SITE_DOMAIN}'`);
      expect(response?.ResponseParameters['method.response.header.Vary'], logicalId).toBe("'Origin'");
      const [echo, echoVariables] = response?.ResponseTemplates['application/json']['Fn::Sub'] as [string, Record<string, unknown>];
      expect(echoVariables, logicalId).toEqual(variables);
      // The origins the velocity template echoes are the functions' list, comma-bracketed for whole-entry matches.
      expect(echo, logicalId).toContain(`#set($allowed = ",${allowedText},")`);
      expect(echo, logicalId).toContain('$allowed.contains(",$origin,")');
      expect(echo, logicalId).toContain('!$origin.contains(",")');
      expect(echo, logicalId).not.toContain('*');
    }
  });

  it('gives the inspect function the toll-fraud allow-list, which non-dev stages must set explicitly', async () => {
    // Prepare
    const serverlessYml = await readFile(path.join(repoRoot, 'serverless.yml'), 'utf8');
    const defaults = /\n {2}default:\n([\s\S]*?)\n {2}dev:\n/.exec(serverlessYml)?.[1] ?? '';

    // Act
    const variables = (props('InspectImageLambdaFunction').Environment as { Variables: Record<string, unknown> }).Variables;

    // Assess
    expect(defaults).toContain('imageRetentionDays');
    for (const name of ['operatorCountryPrefixes', 'operatorPhoneNumber', 'connectSourcePhoneNumber', 'connectInstanceId'])
      expect(defaults).not.toMatch(new RegExp(`^\\s+${name}:`, 'm'));
    expect(variables.OPERATOR_COUNTRY_PREFIXES).toBe('+1');
    expect(String(variables.OPERATOR_PHONE_NUMBER).startsWith('+1')).toBe(true);
  });

  it('serves the page from CloudFront over HTTPS only, reading the private bucket through origin access control', () => {
    // Act
    const oac = props('SiteOriginAccessControl').OriginAccessControlConfig as Record<string, any>;
    const distribution = props('SiteDistribution').DistributionConfig as Record<string, any>;
    const behaviours = [distribution.DefaultCacheBehavior, ...((distribution.CacheBehaviors as unknown[]) ?? [])] as Array<Record<string, any>>;

    // Assess
    expect(oac).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
    expect(distribution.Origins).toHaveLength(1);
    const [origin] = distribution.Origins as Array<Record<string, any>>;
    expect(origin?.DomainName).toEqual({ 'Fn::GetAtt': ['SiteBucket', 'RegionalDomainName'] });
    expect(origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': ['SiteOriginAccessControl', 'Id'] });
    expect(origin?.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    for (const behaviour of behaviours) {
      expect(['https-only', 'redirect-to-https']).toContain(behaviour.ViewerProtocolPolicy);
      expect(behaviour.AllowedMethods).toEqual(['GET', 'HEAD']);
      expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: 'SiteResponseHeadersPolicy' });
    }
    expect(templateText(template().Outputs?.SiteUrl && (template().Outputs?.SiteUrl as { Value: unknown }).Value)).toBe(`https://${SITE_DOMAIN}`);
    expect(template().Outputs).toHaveProperty('ApiUrl');
  });

  it('sends the security headers: a CSP without inline script or style, HSTS, nosniff, frame denial and no referrer', () => {
    // Prepare
    const headers = (props('SiteResponseHeadersPolicy').ResponseHeadersPolicyConfig as Record<string, any>).SecurityHeadersConfig as Record<string, any>;

    // Act
    const csp = cspDirectives(templateText(headers.ContentSecurityPolicy.ContentSecurityPolicy));
    const local = cspDirectives(pageContentSecurityPolicy('http://localhost:3000'));

    // Assess
    expect(headers.ContentSecurityPolicy.Override).toBe(true);
    for (const directive of ['script-src', 'style-src', 'default-src']) {
      expect(csp.get(directive), directive).toBeDefined();
      expect(csp.get(directive)?.join(' '), directive).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|https:/);
    }
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    // The API (its custom domain too, when set: ${ApiCustomOrigin}) and the user pool: discovery and keys at the
    // issuer, the token endpoint at managed login. Nothing else, and never a wildcard.
    expect(csp.get('connect-src')).toEqual([
      "'self'",
      'https://${ApiGatewayRestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}${ApiCustomOrigin}',
      'https://cognito-idp.${AWS::Region}.amazonaws.com',
      'https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com',
    ]);
    expect((headers.ContentSecurityPolicy.ContentSecurityPolicy as { 'Fn::Sub': [string, unknown] })['Fn::Sub'][1]).toEqual({
      ApiCustomOrigin: { 'Fn::If': ['ApiDomainGiven', ' https://', ''] },
    });
    // The deployed page runs under the policy the local stack (and the e2e test) serves, bar the API origin.
    csp.delete('connect-src');
    local.delete('connect-src');
    expect(csp).toEqual(local);
    expect(headers.StrictTransportSecurity).toMatchObject({ Override: true, IncludeSubdomains: true });
    expect(headers.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(headers.FrameOptions).toEqual({ Override: true, FrameOption: 'DENY' });
    expect(headers.ReferrerPolicy).toEqual({ Override: true, ReferrerPolicy: 'no-referrer' });
  });

  it('ships a page that needs no inline script, style or event handler under that CSP', async () => {
    // Prepare
    const html = await readFile(path.join(repoRoot, 'static-site', 'index.html'), 'utf8');
    const script = await readFile(path.join(repoRoot, 'static-site', 'app.js'), 'utf8');

    // Act
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];

    // Assess
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/\bsrc=/);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    expect(script).not.toMatch(/setAttribute\(\s*['"]style['"]|\.innerHTML\s*=|\beval\(|new Function\(/);
  });

  it('expires images and rejected/ on their own clocks, and logs bucket access by default (accessLogs, off only when asked)', () => {
    // Act
    const rules = (props('ImageBucket').LifecycleConfiguration.Rules as Array<Record<string, any>>).filter((rule) => rule.Status === 'Enabled');

    // Assess
    expect(rules.find((rule) => rule.Prefix === 'inspections/')?.ExpirationInDays).toBe(365);
    expect(rules.find((rule) => rule.Prefix === 'rejected/')?.ExpirationInDays).toBe(30);
    for (const [bucketId, prefix] of [
      ['ImageBucket', 'image-bucket/'],
      ['SiteBucket', 'site-bucket/'],
    ] as const) {
      const logging = props(bucketId).LoggingConfiguration as { 'Fn::If': [string, Record<string, any>, unknown] };
      expect(logging['Fn::If'][0], bucketId).toBe('AccessLogsEnabled');
      expect(logging['Fn::If'][1], bucketId).toEqual({ DestinationBucketName: { Ref: 'AccessLogBucket' }, LogFilePrefix: prefix });
      expect(logging['Fn::If'][2], bucketId).toEqual({ Ref: 'AWS::NoValue' });
    }
    // On in this package, with no param given: the default is 'true'.
    expect(template().Conditions?.AccessLogsEnabled).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(resource('AccessLogBucket').Condition).toBe('AccessLogsEnabled');
    expect(resource('AccessLogBucketPolicy').Condition).toBe('AccessLogsEnabled');
  });
});
