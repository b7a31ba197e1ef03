import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateTemplate } from '../helpers/cloudformation-spec';
import {
  policyStatements,
  printedService,
  repoRoot,
  resourcesOfType,
  templateResource,
  templateText,
  usePackagedTemplate,
  type CloudFormationResource,
  type PolicyStatement,
} from '../helpers/packaged-template';

/**
 * The edge of the packaged stack (issue 13): the WAF web ACLs and what they are on, the access logs, the optional
 * custom domains and their TLS minimum, and policies that name exact ARNs. What other params or regions would give
 * is read from `sls print`, which resolves serverless.yml as a deploy with them would.
 */

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);
const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;

/** The Connect numbers and instance every non-dev stage must be given (serverless.yml has no defaults for them). */
const STAGE_PARAMS = {
  operatorPhoneNumber: '+447700900123',
  connectSourcePhoneNumber: '+448081570000',
  operatorCountryPrefixes: '+44',
  connectInstanceId: '00000000-0000-4000-8000-000000000000',
};
/**
 * Objects under one bucket, named by its ARN (`${ImageBucket.Arn}/inspections/*.json`) or its name
 * (`arn:${AWS::Partition}:s3:::${ServerlessDeploymentBucket}/*`): the one place a `*` may stand in an S3 resource.
 */
const OBJECTS_UNDER_A_NAMED_BUCKET = /^(\$\{[A-Za-z0-9]+\.Arn\}|arn:\$\{AWS::Partition\}:s3:::[^/*]+)\/[^*]*(\*[^*]*)?$/;
const SITE_WEB_ACL_ARN = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/waferwatch-prod-site/0a1b2c3d-0000-4000-8000-000000000000';

interface WafRule {
  Name: string;
  Priority: number;
  Action?: Record<string, any>;
  OverrideAction?: Record<string, any>;
  Statement: Record<string, any>;
  VisibilityConfig: Record<string, unknown>;
}

/** The rules of a web ACL, by name. */
function rulesOf(properties: Record<string, any>): Map<string, WafRule> {
  return new Map((properties.Rules as WafRule[]).map((rule) => [rule.Name, rule]));
}

/** Every policy document of the template with where it is: bucket, queue and topic policies, and role policies. */
function policyDocuments(): Array<{ where: string; statements: PolicyStatement[] }> {
  const documents: Array<{ where: string; statements: PolicyStatement[] }> = [];
  for (const [logicalId, candidate] of Object.entries(template().Resources)) {
    const properties = (candidate.Properties ?? {}) as Record<string, any>;
    if (properties.PolicyDocument) documents.push({ where: logicalId, statements: policyStatements(properties.PolicyDocument) });
    // A role's inline policies (a user pool's Policies are its password policy, not IAM).
    const inline = candidate.Type === 'AWS::IAM::Role' ? ((properties.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: unknown }>) : [];
    for (const policy of inline) {
      documents.push({ where: `${logicalId}/${policy.PolicyName}`, statements: policyStatements(policy.PolicyDocument) });
    }
  }
  return documents;
}

describe('the edge of the packaged stack (issue 13)', () => {
  it("puts a regional web ACL on the API's stage: a rate limit per client IP, IP reputation, and the common rule set with the body size rule only counting", () => {
    // Act
    const acl = props('ApiWebAcl');
    const rules = rulesOf(acl);
    const association = resource('ApiWebAclAssociation');

    // Assess
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} }, Name: { 'Fn::Sub': 'waferwatch-dev-api' } });
    expect(acl.VisibilityConfig).toEqual({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: 'waferwatch-dev-api' });
    expect([...rules.keys()]).toEqual(['rate-per-client-ip', 'aws-ip-reputation', 'aws-common']);
    expect([...rules.values()].map((rule) => rule.Priority)).toEqual([0, 1, 2]);
    // The rate rule: per client IP, in a 5-minute window, param wafRateLimit (1000 by default), answered 429 in JSON.
    expect(rules.get('rate-per-client-ip')?.Statement).toEqual({ RateBasedStatement: { Limit: 1000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } });
    expect(rules.get('rate-per-client-ip')?.Action).toEqual({ Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rate-limited' } } });
    expect(JSON.parse(acl.CustomResponseBodies['rate-limited'].Content)).toMatchObject({ error: { code: 'THROTTLED' } });
    expect(rules.get('aws-ip-reputation')?.Statement).toEqual({
      ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' },
    });
    // Images of megabytes would trip SizeRestrictions_BODY (bodies over 8 KB): it counts, the rest of the set blocks.
    expect(rules.get('aws-common')?.Statement).toEqual({
      ManagedRuleGroupStatement: {
        VendorName: 'AWS',
        Name: 'AWSManagedRulesCommonRuleSet',
        RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
      },
    });
    for (const rule of rules.values()) {
      expect(rule.VisibilityConfig, rule.Name).toEqual({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: rule.Name });
      if (rule.Statement.ManagedRuleGroupStatement) expect(rule.OverrideAction, rule.Name).toEqual({ None: {} });
    }
    // On the stage the framework's deployment creates, once it exists.
    expect(association.Properties).toEqual({
      ResourceArn: { 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${ApiGatewayRestApi}/stages/dev' },
      WebACLArn: { 'Fn::GetAtt': ['ApiWebAcl', 'Arn'] },
    });
    const deployment = resourcesOfType(template(), 'AWS::ApiGateway::Deployment').map(([logicalId]) => logicalId);
    expect(deployment).toHaveLength(1);
    expect([association.DependsOn].flat()).toEqual(deployment);
    expect(props(deployment[0]!).StageName).toBe('dev');
    // Regional, so the web ACL sees each client's own address.
    expect(props('ApiGatewayRestApi').EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
  });

  it('protects the page with the same rules: its own CLOUDFRONT web ACL in us-east-1, else the one given by siteWebAclArn', () => {
    // Act
    const site = resource('SiteWebAcl');
    const distribution = props('SiteDistribution').DistributionConfig;

    // Assess
    expect(site.Condition).toBe('SiteWebAclInStack');
    expect((site.Properties as Record<string, any>).Scope).toBe('CLOUDFRONT');
    expect((site.Properties as Record<string, any>).Rules).toEqual(props('ApiWebAcl').Rules);
    expect((site.Properties as Record<string, any>).CustomResponseBodies).toEqual(props('ApiWebAcl').CustomResponseBodies);
    expect(template().Conditions?.SiteWebAclInStack).toEqual({
      'Fn::And': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }, { 'Fn::Equals': ['', ''] }],
    });
    expect(template().Conditions?.SiteWebAclGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(distribution.WebACLId).toEqual({
      'Fn::If': ['SiteWebAclInStack', { 'Fn::GetAtt': ['SiteWebAcl', 'Arn'] }, { 'Fn::If': ['SiteWebAclGiven', '', { Ref: 'AWS::NoValue' }] }],
    });
  });

  it('refuses to package a non-dev stage outside us-east-1 without siteWebAclArn, and takes the one given', async () => {
    // Act
    const [withoutAcl, inUsEast1, given] = await Promise.all([
      printedService({ stage: 'prod', region: 'eu-west-1', params: STAGE_PARAMS }),
      printedService({ stage: 'prod', region: 'us-east-1', params: STAGE_PARAMS }),
      printedService({ stage: 'prod', region: 'eu-west-1', params: { ...STAGE_PARAMS, siteWebAclArn: SITE_WEB_ACL_ARN } }),
    ]);

    // Assess
    expect(withoutAcl.ok).toBe(false);
    expect(withoutAcl.ok ? '' : withoutAcl.error).toContain('Cannot resolve variable at "custom.siteWebAclArn"');
    if (!inUsEast1.ok) throw new Error(inUsEast1.error);
    expect(inUsEast1.service.custom.siteWebAclArn).toBe('');
    if (!given.ok) throw new Error(given.error);
    expect(given.service.resources.Conditions.SiteWebAclGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [SITE_WEB_ACL_ARN, ''] }] });
    expect(given.service.resources.Resources.SiteDistribution.Properties.DistributionConfig.WebACLId['Fn::If'][2]).toEqual({
      'Fn::If': ['SiteWebAclGiven', SITE_WEB_ACL_ARN, { Ref: 'AWS::NoValue' }],
    });
  }, 120_000);

  it('ships deploy/site-web-acl.yml for us-east-1: the same rules, a valid template, and a rule that refuses any other region', async () => {
    // Prepare
    const text = await readFile(path.join(repoRoot, 'deploy', 'site-web-acl.yml'), 'utf8');

    // Act
    const standalone = parse(text) as Record<string, any>;
    const acl = standalone.Resources.SiteWebAcl.Properties as Record<string, any>;
    const rules = structuredClone(acl.Rules) as WafRule[];
    const rate = rules.find((rule) => rule.Name === 'rate-per-client-ip')!;
    rate.Statement.RateBasedStatement.Limit = 1000;

    // Assess
    expect(validateTemplate(standalone)).toEqual([]);
    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(acl.Rules.find((rule: WafRule) => rule.Name === 'rate-per-client-ip').Statement.RateBasedStatement.Limit).toEqual({ Ref: 'RateLimit' });
    expect(rules).toEqual(props('ApiWebAcl').Rules);
    expect(acl.CustomResponseBodies).toEqual(props('ApiWebAcl').CustomResponseBodies);
    expect(standalone.Rules.OnlyInUsEast1.Assertions[0].Assert).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    expect(standalone.Outputs.SiteWebAclArn.Value).toEqual({ 'Fn::GetAtt': ['SiteWebAcl', 'Arn'] });
    expect(text).toContain('aws cloudformation deploy --region us-east-1');
  });

  it('logs API requests as JSON (who, what, WAF verdict; no execution logs) into a log group kept logRetentionDays, by default', async () => {
    // Act
    const printed = await printedService({ stage: 'dev' });
    const off = await printedService({ stage: 'dev', params: { accessLogs: 'false' } });

    // Assess
    if (!printed.ok) throw new Error(printed.error);
    const restApi = printed.service.provider.logs.restApi as Record<string, any>;
    expect(restApi).toMatchObject({ accessLogging: true, executionLogging: false, roleManagedExternally: true });
    const fields = JSON.parse(restApi.format as string) as Record<string, string>;
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.authorizer.principalId',
      route: '$context.resourcePath',
      status: '$context.status',
      latencyMs: '$context.responseLatency',
      userAgent: '$context.identity.userAgent',
      waf: '$context.wafResponseCode',
    });
    // Never a header value: no token, no key.
    expect(restApi.format).not.toMatch(/header|apiKey"|authorization/i);
    expect(props('ApiGatewayLogGroup')).toEqual({ LogGroupName: '/aws/api-gateway/waferwatch-dev', RetentionInDays: 30 });
    // API Gateway's CloudWatch role for the account, without the framework's custom resource.
    expect(resource('ApiGatewayAccount').Properties).toEqual({ CloudWatchRoleArn: { 'Fn::GetAtt': ['ApiGatewayCloudWatchRole', 'Arn'] } });
    expect(props('ApiGatewayCloudWatchRole').ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs' },
    ]);
    for (const logicalId of ['ApiGatewayAccount', 'ApiGatewayCloudWatchRole']) {
      expect(resource(logicalId).Condition, logicalId).toBe('AccessLogsEnabled');
      expect((resource(logicalId) as { DeletionPolicy?: string }).DeletionPolicy, logicalId).toBe('Retain');
    }
    if (!off.ok) throw new Error(off.error);
    expect(off.service.provider.logs.restApi).toMatchObject({ accessLogging: false, executionLogging: false });
  }, 120_000);

  it("sends CloudFront's standard logs and both buckets' server access logs to the access-log bucket, whose ACLs CloudFront needs", () => {
    // Act
    const distribution = props('SiteDistribution').DistributionConfig;
    const logBucket = props('AccessLogBucket');
    const delivery = policyStatements(props('AccessLogBucketPolicy').PolicyDocument).find((statement) => statement.Effect === 'Allow')!;

    // Assess
    expect(distribution.Logging).toEqual({
      'Fn::If': [
        'AccessLogsEnabled',
        { Bucket: { 'Fn::GetAtt': ['AccessLogBucket', 'DomainName'] }, Prefix: 'cloudfront/', IncludeCookies: false },
        { Ref: 'AWS::NoValue' },
      ],
    });
    expect(logBucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] });
    expect(logBucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(logBucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(delivery.Principal).toEqual({ Service: 'logging.s3.amazonaws.com' });
    expect([delivery.Resource].flat().map(templateText)).toEqual(['${AccessLogBucket.Arn}/image-bucket/*', '${AccessLogBucket.Arn}/site-bucket/*']);
    expect(delivery.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': ['ImageBucket', 'Arn'] }, { 'Fn::GetAtt': ['SiteBucket', 'Arn'] }] },
    });
    expect(template().Conditions?.AccessLogsEnabled).toEqual({ 'Fn::Equals': ['true', 'true'] });
  });

  it('serves a custom domain, when given, with its certificate and TLS 1.2 at least: TLSv1.2_2021 on the page, TLS_1_2 on the API', async () => {
    // Act
    const distribution = props('SiteDistribution').DistributionConfig;
    const printed = await printedService({
      stage: 'dev',
      params: {
        siteDomainName: 'wafers.fab.example',
        siteCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/site',
        apiDomainName: 'api.wafers.fab.example',
        apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/api',
      },
    });

    // Assess: in the package (no domain) both are switched off by their conditions...
    expect(distribution.Aliases).toEqual({ 'Fn::If': ['SiteDomainGiven', [''], { Ref: 'AWS::NoValue' }] });
    expect(distribution.ViewerCertificate).toEqual({
      'Fn::If': ['SiteDomainGiven', { AcmCertificateArn: '', SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' }, { Ref: 'AWS::NoValue' }],
    });
    expect(resource('ApiCustomDomain').Condition).toBe('ApiDomainGiven');
    expect(resource('ApiBasePathMapping').Condition).toBe('ApiDomainGiven');
    expect(template().Conditions?.SiteDomainGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    // ...and with the params, what CloudFormation gets.
    if (!printed.ok) throw new Error(printed.error);
    const resources = printed.service.resources.Resources as Record<string, any>;
    const config = resources.SiteDistribution.Properties.DistributionConfig;
    expect(config.Aliases['Fn::If'][1]).toEqual(['wafers.fab.example']);
    expect(config.ViewerCertificate['Fn::If'][1]).toEqual({
      AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/site',
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    expect(resources.ApiCustomDomain.Properties).toEqual({
      DomainName: 'api.wafers.fab.example',
      RegionalCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/api',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    expect(resources.ApiBasePathMapping.Properties).toMatchObject({
      DomainName: { Ref: 'ApiCustomDomain' },
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      Stage: 'dev',
    });
    // The page's custom domain may sign in, and is one of the origins CORS answers.
    expect(resources.UserPoolClient.Properties.CallbackURLs[1]).toEqual({
      'Fn::If': ['SiteDomainGiven', 'https://wafers.fab.example/', { Ref: 'AWS::NoValue' }],
    });
    expect(printed.service.custom.siteCustomOrigin).toEqual({ 'Fn::If': ['SiteDomainGiven', 'https://wafers.fab.example', ''] });
    expect(printed.service.resources.Outputs.ApiCustomDomainUrl).toMatchObject({ Condition: 'ApiDomainGiven', Value: 'https://api.wafers.fab.example' });
  }, 120_000);

  it('names an exact bucket in every S3 and SQS resource and condition: no wildcard but object paths under a named bucket', () => {
    // Prepare
    const documents = policyDocuments();
    const s3OrSqs = documents.flatMap(({ where, statements }) =>
      statements
        .filter((statement) => [statement.Action].flat().some((action) => /^(s3|sqs):/.test(String(action))))
        .map((statement) => ({ where, statement })),
    );

    // Act
    const wildcards = s3OrSqs.flatMap(({ where, statement }) =>
      [statement.Resource]
        .flat()
        .map(templateText)
        .filter((text) => text.includes('*') && !OBJECTS_UNDER_A_NAMED_BUCKET.test(text))
        .map((text) => `${where} ${statement.Sid ?? ''}: ${text}`),
    );
    const sourceArns = s3OrSqs.flatMap(({ where, statement }) =>
      Object.entries(statement.Condition ?? {}).flatMap(([operator, values]) =>
        Object.entries(values)
          .filter(([key]) => key.toLowerCase() === 'aws:sourcearn')
          .map(([, value]) => ({ where, operator, texts: [value].flat().map(templateText) })),
      ),
    );

    // Assess
    expect(s3OrSqs.length).toBeGreaterThan(20);
    expect(wildcards).toEqual([]);
    expect(sourceArns.length).toBeGreaterThanOrEqual(4);
    for (const { where, operator, texts } of sourceArns) {
      expect(operator, where).toMatch(/^(ArnEquals|StringEquals)$/);
      for (const text of texts) expect(text, where).not.toContain('*');
    }
    // The image bucket's notifications: the queue policy names the bucket by its explicit name (it cannot reference it).
    expect(policyStatements(props('CameraUploadQueuePolicy').PolicyDocument).find((statement) => statement.Effect === 'Allow')?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::waferwatch-dev-images-${AWS::AccountId}-${AWS::Region}' } },
    });
    expect(props('ImageBucket').BucketName).toEqual({ 'Fn::Sub': 'waferwatch-dev-images-${AWS::AccountId}-${AWS::Region}' });
    expect(props('SiteBucket').BucketName).toEqual({ 'Fn::Sub': 'waferwatch-dev-site-${AWS::AccountId}-${AWS::Region}' });
    expect(props('AccessLogBucket').BucketName).toEqual({ 'Fn::Sub': 'waferwatch-dev-access-logs-${AWS::AccountId}-${AWS::Region}' });
    // S3 bucket names are at most 63 characters: the longest account id and region names still fit for this stage.
    expect('waferwatch-dev-access-logs-123456789012-ap-southeast-2'.length).toBeLessThanOrEqual(63);
  });

  it('lets API Gateway invoke each function for its own route on this stage only, not any method of the API', () => {
    // Act
    const permissions = resourcesOfType(template(), 'AWS::Lambda::Permission').filter(
      ([, permission]) => permission.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    const sources = Object.fromEntries(permissions.map(([logicalId, permission]) => [logicalId, templateText(permission.Properties?.SourceArn)]));
    const api = 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}';

    // Assess
    expect(sources).toEqual({
      InspectImageLambdaPermissionApiGateway: `${api}/dev/POST/inspections`,
      // inspectImage's second route (the Lookout-shaped compatibility route) has a permission of its own.
      InspectImageDetectAnomaliesLambdaPermission: `${api}/dev/POST/detect-anomalies`,
      InspectionStatsLambdaPermissionApiGateway: `${api}/dev/GET/stats`,
      GetInspectionLambdaPermissionApiGateway: `${api}/dev/GET/inspections/*`,
      GetInspectionImageLambdaPermissionApiGateway: `${api}/dev/GET/inspections/*/image`,
      ListInspectionsLambdaPermissionApiGateway: `${api}/dev/GET/inspections`,
      ListStationsLambdaPermissionApiGateway: `${api}/dev/GET/stations`,
      ReviewInspectionLambdaPermissionApiGateway: `${api}/dev/POST/inspections/*/review`,
      CreateUploadLambdaPermissionApiGateway: `${api}/dev/POST/uploads`,
      AuthorizeRequestLambdaPermissionApiGateway: `${api}/authorizers/\${AuthorizeRequestApiGatewayAuthorizer}`,
    });
  });
});
