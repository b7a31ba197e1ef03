import { describe, expect, it } from 'vitest';
import { PERSON_GROUPS } from '../../functions/core/access';
import {
  printedService,
  resourcesOfType,
  roleGrants,
  templateResource,
  templateText,
  usePackagedTemplate,
  type CloudFormationResource,
} from '../helpers/packaged-template';

/**
 * Who may do what (issue 13), in the packaged template: the user pool people sign in to, its groups and the page's
 * client, the two authorizers and which route has which, the request authorizer's function and role, and the camera
 * key table. What a deploy with federation params gets is read from `sls print` (the package is dev's, without them).
 */

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);
const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;
const outputValue = (name: string): unknown => (template().Outputs?.[name] as { Value: unknown } | undefined)?.Value;

const REQUEST_AUTHORIZER = 'AuthorizeRequestApiGatewayAuthorizer';
/** The routes cameras call, or poll: the request authorizer (ID token or camera key) and a usage key. */
const CAMERA_ROUTES = ['POST /inspections', 'POST /detect-anomalies', 'POST /uploads', 'GET /inspections/{id}'];
/** The people-only routes: the Cognito authorizer (ID token), no usage key. */
const PEOPLE_ROUTES = ['GET /inspections', 'GET /inspections/{id}/image', 'GET /stats', 'GET /stations', 'POST /inspections/{id}/review'];

/** Each API method by route (`POST /inspections`), its path rebuilt from the API's resources. */
function methodsByRoute(): Map<string, Record<string, any>> {
  const pathOf = (resourceRef: unknown): string => {
    const ref = resourceRef as { Ref?: string; 'Fn::GetAtt'?: string[] };
    if (ref['Fn::GetAtt']) return '';
    const apiResource = props(ref.Ref as string);
    return `${pathOf(apiResource.ParentId)}/${apiResource.PathPart as string}`;
  };
  return new Map(
    resourcesOfType(template(), 'AWS::ApiGateway::Method').map(([, method]) => {
      const properties = method.Properties as Record<string, any>;
      return [`${properties.HttpMethod as string} ${pathOf(properties.ResourceId)}`, properties];
    }),
  );
}

describe('who may do what in the packaged stack (issue 13)', () => {
  it('keeps a user pool only admins add people to, with a strong password policy, optional TOTP and deletion protection outside dev', () => {
    // Act
    const pool = props('UserPool');

    // Assess
    expect(pool.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(pool.UsernameAttributes).toEqual(['email']);
    expect(pool.Policies.PasswordPolicy).toMatchObject({
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(pool.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
    expect(pool.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    // Managed login (the newer pages) needs the Essentials tier or above.
    expect(pool.UserPoolTier).toBe('ESSENTIALS');
    expect(pool.DeletionProtection).toEqual({ 'Fn::If': ['ProtectAlertState', 'ACTIVE', 'INACTIVE'] });
    expect(template().Conditions?.ProtectAlertState).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['dev', 'dev'] }] });
  });

  it('has the three groups the access rules know, each described', () => {
    // Act
    const groups: Array<Record<string, any>> = resourcesOfType(template(), 'AWS::Cognito::UserPoolGroup').map(([logicalId, group]) => ({
      logicalId,
      ...group.Properties,
    }));

    // Assess
    expect(groups.map((group) => group.GroupName).sort()).toEqual([...PERSON_GROUPS].sort());
    for (const group of groups) {
      expect(group.UserPoolId, group.logicalId).toEqual({ Ref: 'UserPool' });
      expect(String(group.Description).length, group.logicalId).toBeGreaterThan(10);
    }
    expect(groups.find((group) => group.GroupName === 'engineer')?.Description).toMatch(/review/i);
    expect(groups.find((group) => group.GroupName === 'engineer')?.Description).toMatch(/station registry/i);
    expect(groups.find((group) => group.GroupName === 'admin')?.Description).toMatch(/camera keys/i);
  });

  it("signs the page in with a public client: authorization code only (PKCE, no secret), the page's own URLs, short tokens", () => {
    // Act
    const client = props('UserPoolClient');

    // Assess
    expect(client.GenerateSecret).toBe(false);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    // No password flows through the API: people sign in on managed login, where MFA and federation apply.
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
    expect(client.EnableTokenRevocation).toBe(true);
    for (const urls of [client.CallbackURLs, client.LogoutURLs]) {
      expect(urls).toEqual([
        { 'Fn::Sub': 'https://${SiteDistribution.DomainName}/' },
        { 'Fn::If': ['SiteDomainGiven', 'https:///', { Ref: 'AWS::NoValue' }] },
        { 'Fn::If': ['DevStage', 'http://localhost:3000/', { Ref: 'AWS::NoValue' }] },
      ]);
    }
    expect(template().Conditions?.DevStage).toEqual({ 'Fn::Equals': ['dev', 'dev'] });
    expect(client.SupportedIdentityProviders).toEqual([
      'COGNITO',
      { 'Fn::If': ['SamlFederation', { Ref: 'SamlIdentityProvider' }, { Ref: 'AWS::NoValue' }] },
      { 'Fn::If': ['OidcFederation', { Ref: 'OidcIdentityProvider' }, { Ref: 'AWS::NoValue' }] },
    ]);
    expect(client).toMatchObject({
      IdTokenValidity: 1,
      AccessTokenValidity: 1,
      RefreshTokenValidity: 12,
      TokenValidityUnits: { IdToken: 'hours', AccessToken: 'hours', RefreshToken: 'hours' },
    });
    // Managed login shows a client's pages once it has a style.
    expect(props('UserPoolClientManagedLoginBranding')).toEqual({
      UserPoolId: { Ref: 'UserPool' },
      ClientId: { Ref: 'UserPoolClient' },
      UseCognitoProvidedValues: true,
    });
    expect(props('UserPoolDomain')).toEqual({
      UserPoolId: { Ref: 'UserPool' },
      Domain: { 'Fn::Sub': 'waferwatch-dev-${AWS::AccountId}' },
      ManagedLoginVersion: 2,
    });
  });

  it('federates with SAML or OIDC only when their params are given, the OIDC secret passed through as given', async () => {
    // Prepare
    const secret = '{{resolve:secretsmanager:waferwatch/oidc:SecretString:clientSecret}}';

    // Act
    const printed = await printedService({
      stage: 'dev',
      params: {
        samlMetadataUrl: 'https://idp.fab.example/saml/metadata',
        oidcIssuer: 'https://login.fab.example',
        oidcClientId: 'waferwatch',
        oidcClientSecret: secret,
      },
    });

    // Assess: off in the package (no params)...
    expect(resource('SamlIdentityProvider').Condition).toBe('SamlFederation');
    expect(resource('OidcIdentityProvider').Condition).toBe('OidcFederation');
    expect(template().Conditions?.SamlFederation).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(template().Conditions?.OidcFederation).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    // ...and on with them, the secret left a dynamic reference for CloudFormation to resolve from Secrets Manager.
    if (!printed.ok) throw new Error(printed.error);
    const resources = printed.service.resources as { Conditions: Record<string, unknown>; Resources: Record<string, any> };
    expect(resources.Conditions.SamlFederation).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['https://idp.fab.example/saml/metadata', ''] }] });
    expect(resources.Resources.SamlIdentityProvider.Properties).toMatchObject({
      ProviderType: 'SAML',
      ProviderName: 'FabSaml',
      ProviderDetails: { MetadataURL: 'https://idp.fab.example/saml/metadata' },
    });
    expect(resources.Resources.OidcIdentityProvider.Properties).toMatchObject({
      ProviderType: 'OIDC',
      ProviderName: 'FabOidc',
      ProviderDetails: { oidc_issuer: 'https://login.fab.example', client_id: 'waferwatch', client_secret: secret, authorize_scopes: 'openid email profile' },
    });
  }, 120_000);

  it('puts the Cognito authorizer on every people route and the request authorizer, with a usage key, on every camera route', () => {
    // Act
    const methods = methodsByRoute();
    const routes = [...methods.keys()].filter((route) => !route.startsWith('OPTIONS')).sort();

    // Assess
    expect(routes).toEqual([...CAMERA_ROUTES, ...PEOPLE_ROUTES].sort());
    for (const route of PEOPLE_ROUTES) {
      expect(methods.get(route), route).toMatchObject({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: 'CognitoAuthorizer' } });
      expect(methods.get(route)?.ApiKeyRequired, route).not.toBe(true);
      // No scopes: API Gateway then accepts the ID token, the one that names the client and carries the groups.
      expect(methods.get(route)?.AuthorizationScopes, route).toBeUndefined();
    }
    for (const route of CAMERA_ROUTES) {
      expect(methods.get(route), route).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: REQUEST_AUTHORIZER }, ApiKeyRequired: true });
    }
    expect(props('CognitoAuthorizer')).toEqual({
      Name: 'cognito',
      RestApiId: { Ref: 'ApiGatewayRestApi' },
      Type: 'COGNITO_USER_POOLS',
      ProviderARNs: [{ 'Fn::GetAtt': ['UserPool', 'Arn'] }],
      IdentitySource: 'method.request.header.Authorization',
    });
    expect(props('ApiGatewayRestApi').ApiKeySourceType).toBe('AUTHORIZER');
  });

  it('runs the request authorizer on every request (no cache, no identity source), invocable only as that authorizer', () => {
    // Act
    const authorizer = props(REQUEST_AUTHORIZER);
    const permission = props('AuthorizeRequestLambdaPermissionApiGateway');

    // Assess
    expect(authorizer).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0, RestApiId: { Ref: 'ApiGatewayRestApi' } });
    expect(authorizer).not.toHaveProperty('IdentitySource');
    expect(JSON.stringify(authorizer.AuthorizerUri)).toContain('AuthorizeRequestLambdaFunction');
    expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    expect(templateText(permission.SourceArn)).toBe(
      `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${ApiGatewayRestApi}/authorizers/\${${REQUEST_AUTHORIZER}}`,
    );
  });

  it('gives the request authorizer the issuer, client, key table and people key, and a role for exactly those', () => {
    // Act
    const fn = props('AuthorizeRequestLambdaFunction');

    // Assess
    expect(fn).toMatchObject({
      Handler: 'functions/handlers/authorize-request.handler',
      MemorySize: 256,
      Timeout: 10,
      Role: { 'Fn::GetAtt': ['AuthorizeRequestRole', 'Arn'] },
    });
    expect(fn.Environment.Variables).toMatchObject({
      AUTH_ISSUER: { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}' },
      AUTH_CLIENT_ID: { Ref: 'UserPoolClient' },
      CAMERA_KEY_TABLE: { Ref: 'CameraKeyTable' },
      PEOPLE_API_KEY_ID: { Ref: 'PeopleApiKey' },
    });
    expect(roleGrants(template(), 'AuthorizeRequestRole')).toEqual([
      {
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/waferwatch-dev-authorizeRequest:*'],
        condition: undefined,
      },
      { sid: 'WriteTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'], condition: undefined },
      { sid: 'ReadCameraKeys', actions: ['dynamodb:GetItem'], resources: ['GetAtt:CameraKeyTable.Arn'], condition: undefined },
      {
        sid: 'ReadPeopleUsageKey',
        actions: ['apigateway:GET'],
        resources: ['arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys/${PeopleApiKey}'],
        condition: undefined,
      },
    ]);
  });

  it('lets only the request authorizer near the camera key table, which is keyed by hash, encrypted, recoverable and protected outside dev', () => {
    // Act
    const table = props('CameraKeyTable');
    const readers = resourcesOfType(template(), 'AWS::IAM::Role')
      .map(([logicalId]) => logicalId)
      .filter((roleId) => roleGrants(template(), roleId).some((grant) => grant.resources.some((text) => text.includes('CameraKeyTable'))));

    // Assess
    expect(table).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'keyHash', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'keyHash', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: { 'Fn::If': ['ProtectAlertState', true, false] },
    });
    expect(readers).toEqual(['AuthorizeRequestRole']);
  });

  it('serves GET /stations from listStations, whose role may only scan the registry', () => {
    // Act
    const fn = props('ListStationsLambdaFunction');

    // Assess
    expect(fn).toMatchObject({
      Handler: 'functions/handlers/list-stations.handler',
      MemorySize: 256,
      Timeout: 10,
      Role: { 'Fn::GetAtt': ['ListStationsRole', 'Arn'] },
    });
    expect(roleGrants(template(), 'ListStationsRole').filter((grant) => grant.sid !== 'WriteLogs' && grant.sid !== 'WriteTraces')).toEqual([
      { sid: 'ListStations', actions: ['dynamodb:Scan'], resources: ['GetAtt:StationRegistryTable.Arn'], condition: undefined },
    ]);
  });

  it('serves GET /stats from inspectionStats, whose role may only list inspections/ and read the records there', () => {
    // Act
    const fn = props('InspectionStatsLambdaFunction');
    const permission = props('InspectionStatsLambdaPermissionApiGateway');

    // Assess
    expect(fn).toMatchObject({
      Handler: 'functions/handlers/inspection-stats.handler',
      Role: { 'Fn::GetAtt': ['InspectionStatsRole', 'Arn'] },
    });
    expect(roleGrants(template(), 'InspectionStatsRole').filter((grant) => grant.sid !== 'WriteLogs' && grant.sid !== 'WriteTraces')).toEqual([
      {
        sid: 'ListInspections',
        actions: ['s3:ListBucket'],
        resources: ['GetAtt:ImageBucket.Arn'],
        condition: { StringLike: { 's3:prefix': ['inspections/*'] } },
      },
      { sid: 'ReadInspectionRecords', actions: ['s3:GetObject'], resources: ['${ImageBucket.Arn}/inspections/*.json'], condition: undefined },
    ]);
    expect(templateText(permission.SourceArn)).toBe('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/dev/GET/stats');
  });

  it('serves GET /inspections/{id}/image from getInspectionImage, whose role may only read under inspections/ (and tell missing keys apart)', () => {
    // Act
    const fn = props('GetInspectionImageLambdaFunction');
    const permission = props('GetInspectionImageLambdaPermissionApiGateway');

    // Assess
    expect(fn).toMatchObject({
      Handler: 'functions/handlers/get-inspection-image.handler',
      MemorySize: 512,
      Timeout: 10,
      Role: { 'Fn::GetAtt': ['GetInspectionImageRole', 'Arn'] },
    });
    expect(roleGrants(template(), 'GetInspectionImageRole').filter((grant) => grant.sid !== 'WriteLogs' && grant.sid !== 'WriteTraces')).toEqual([
      { sid: 'ReadInspections', actions: ['s3:GetObject'], resources: ['${ImageBucket.Arn}/inspections/*'], condition: undefined },
      { sid: 'TellMissingRecordsApart', actions: ['s3:ListBucket'], resources: ['GetAtt:ImageBucket.Arn'], condition: undefined },
    ]);
    expect(templateText(permission.SourceArn)).toBe(
      'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/dev/GET/inspections/*/image',
    );
  });

  it('lets the inspect function be invoked for POST /inspections and POST /detect-anomalies only, each by an exact ARN', () => {
    // Act
    const permissions = resourcesOfType(template(), 'AWS::Lambda::Permission')
      .map(([, permission]) => permission.Properties as Record<string, any>)
      .filter((permission) => JSON.stringify(permission.FunctionName).includes('InspectImageLambdaFunction'));

    // Assess
    expect(permissions.map((permission) => templateText(permission.SourceArn)).sort()).toEqual([
      'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/dev/POST/detect-anomalies',
      'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiGatewayRestApi}/dev/POST/inspections',
    ]);
    for (const permission of permissions) expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
  });

  it('gives deploy:site and npm run camera:key what they read: sign-in, the API and stage, the key table and the camera plan defaults', () => {
    // Assess
    expect(outputValue('UserPoolId')).toEqual({ Ref: 'UserPool' });
    expect(outputValue('UserPoolClientId')).toEqual({ Ref: 'UserPoolClient' });
    expect(outputValue('UserPoolDomain')).toEqual({ 'Fn::Sub': 'https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com' });
    expect(outputValue('AuthIssuer')).toEqual({ 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}' });
    // The issuer the authorizer verifies against is the one the page signs in with.
    expect(outputValue('AuthIssuer')).toEqual(props('AuthorizeRequestLambdaFunction').Environment.Variables.AUTH_ISSUER);
    expect(outputValue('RestApiId')).toEqual({ Ref: 'ApiGatewayRestApi' });
    expect(outputValue('ApiStageName')).toBe('dev');
    expect(outputValue('CameraKeyTableName')).toEqual({ Ref: 'CameraKeyTable' });
    expect([outputValue('CameraRateLimit'), outputValue('CameraBurstLimit'), outputValue('CameraDailyQuota')]).toEqual(['2', '5', '20000']);
  });
});
