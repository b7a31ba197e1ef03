import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerlessYaml } from '../../local/serverless-routes';
import {
  policyStatements,
  repoRoot,
  resourcesOfType,
  roleGrants,
  templateResource,
  templateText,
  usePackagedTemplate,
  type CloudFormationResource,
  type RoleGrant,
} from '../helpers/packaged-template';

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);
const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;
const grants = (roleId: string): RoleGrant[] => roleGrants(template(), roleId);

/** The dev stage's placeholder instance (serverless.yml params.dev.connectInstanceId). */
const INSTANCE_ARN = 'arn:${AWS::Partition}:connect:${AWS::Region}:${AWS::AccountId}:instance/00000000-0000-4000-8000-000000000000';
const RULE_NAME = 'waferwatch-dev-contact-events';
const RULE_ARN = `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${RULE_NAME}`;
const ESCALATION_ITEMS = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ladder#*', 'contact#*'] } };
/** The functions that read a station's registry entry, and so the only roles allowed near the registry. */
const REGISTRY_READERS = ['CreateUploadRole', 'InspectImageRole', 'PlaceCallRole', 'ProcessCameraUploadRole'];
/** GET /stations' role: the one that may list the registry. */
const STATION_LISTER = 'ListStationsRole';

function roleIds(): string[] {
  return resourcesOfType(template(), 'AWS::IAM::Role').map(([logicalId]) => logicalId);
}

function environment(functionId: string): Record<string, unknown> {
  return (props(functionId).Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('escalation ladder in the packaged stack: contact events, station registry, unacknowledged alerts', () => {
  it('runs contactEvents on its own role, 256-512 MB, 30 s, with the alert path settings, a configuration valid at cold start', () => {
    // Act
    const contactEvents = props('ContactEventsLambdaFunction');

    // Assess
    expect(contactEvents.Handler).toBe('functions/handlers/contact-events.handler');
    expect(contactEvents.Timeout).toBe(30);
    expect(contactEvents.MemorySize).toBeGreaterThanOrEqual(256);
    expect(contactEvents.MemorySize).toBeLessThanOrEqual(512);
    expect(contactEvents.Role).toEqual({ 'Fn::GetAtt': ['ContactEventsRole', 'Arn'] });
    expect(environment('ContactEventsLambdaFunction')).toMatchObject({
      IMAGE_BUCKET: { Ref: 'ImageBucket' },
      ALERT_STATE_TABLE: { Ref: 'AlertStateTable' },
      ALERT_QUEUE_URL: { Ref: 'AlertQueue' },
      CONNECT_INSTANCE_ID: '00000000-0000-4000-8000-000000000000',
    });
    // Nothing ties it to the contact flow (no flow id): the flow depends on recordDecision only.
    expect(JSON.stringify(contactEvents)).not.toContain('WaferAnomalyAlertFlow');
  });

  it('sends the Connect contact events of the one instance, from the default bus, to contactEvents, with retries and a dead-letter queue', () => {
    // Act
    const rules = resourcesOfType(template(), 'AWS::Events::Rule');

    // Assess
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1].Properties as Record<string, any>;
    expect(rule.Name).toBe(RULE_NAME);
    expect(rule.State).toBe('ENABLED');
    // The default bus, where Connect puts its events.
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({
      source: ['aws.connect'],
      'detail-type': ['Amazon Connect Contact Event'],
      detail: {
        eventType: ['INITIATED', 'CONNECTED_TO_SYSTEM', 'DISCONNECTED'],
        instanceArn: [{ 'Fn::Sub': INSTANCE_ARN }],
      },
    });
    // The whole event (no Input/InputPath/InputTransformer) to the function; EventBridge retries a refused invocation
    // 4 times within an hour, then parks the event.
    expect(rule.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': ['ContactEventsLambdaFunction', 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ContactEventsDeadLetterQueue', 'Arn'] } },
      },
    ]);
  });

  it('lets EventBridge invoke contactEvents only for that rule', () => {
    // Act
    const permissions = resourcesOfType(template(), 'AWS::Lambda::Permission').filter(([, permission]) =>
      JSON.stringify(permission.Properties?.FunctionName).includes('ContactEventsLambdaFunction'),
    );

    // Assess
    expect(permissions).toHaveLength(1);
    const permission = permissions[0]![1].Properties as Record<string, any>;
    expect(permission.Action).toBe('lambda:InvokeFunction');
    expect(permission.Principal).toBe('events.amazonaws.com');
    expect(permission.FunctionName).toEqual({ 'Fn::GetAtt': ['ContactEventsLambdaFunction', 'Arn'] });
    expect(templateText(permission.SourceArn)).toBe(RULE_ARN);
    // Nothing else may invoke it: every events.amazonaws.com permission of the stack is this one.
    expect(
      resourcesOfType(template(), 'AWS::Lambda::Permission').filter(([, candidate]) => candidate.Properties?.Principal === 'events.amazonaws.com'),
    ).toHaveLength(1);
  });

  it("parks an event the function kept failing on in the same dead-letter queue, after Lambda's own two retries", () => {
    // Act
    const configs = resourcesOfType(template(), 'AWS::Lambda::EventInvokeConfig').filter(([, config]) =>
      JSON.stringify(config.Properties?.FunctionName).includes('ContactEventsLambdaFunction'),
    );

    // Assess
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties).toEqual({
      FunctionName: { Ref: 'ContactEventsLambdaFunction' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['ContactEventsDeadLetterQueue', 'Arn'] } } },
    });
  });

  it('keeps the contact events dead-letter queue encrypted and TLS-only, and lets only the rule send to it by policy', () => {
    // Prepare
    const queue = props('ContactEventsDeadLetterQueue');
    const policies = resourcesOfType(template(), 'AWS::SQS::QueuePolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties?.Queues).includes('"ContactEventsDeadLetterQueue"'),
    );

    // Act
    expect(policies).toHaveLength(1);
    const policy = policies[0]![1].Properties as Record<string, any>;
    const statements = policyStatements(policy.PolicyDocument);

    // Assess
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(14 * 86_400);
    expect(queue.RedrivePolicy).toBeUndefined();
    expect(policy.Queues).toEqual([{ Ref: 'ContactEventsDeadLetterQueue' }]);
    expect(statements).toHaveLength(2);
    const [allow, deny] = statements;
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': ['ContactEventsDeadLetterQueue', 'Arn'] },
    });
    expect(Object.keys(allow?.Condition ?? {})).toEqual(['ArnEquals']);
    expect(Object.keys(allow?.Condition?.ArnEquals ?? {})).toEqual(['aws:SourceArn']);
    // The same ARN as the rule the Lambda permission names (the rule's Name under this account and region).
    expect(templateText(allow?.Condition?.ArnEquals?.['aws:SourceArn'])).toBe(RULE_ARN);
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: { 'Fn::GetAtt': ['ContactEventsDeadLetterQueue', 'Arn'] } });
    expect(deny?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
  });

  it('scopes contactEvents to exactly its log group, traces, the ladder and contact items, the alert queue, its dead letters and the records', () => {
    // Act
    const statements = grants('ContactEventsRole');

    // Assess
    expect(statements).toEqual([
      {
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/waferwatch-dev-contactEvents:*'],
        condition: undefined,
      },
      { sid: 'WriteTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'], condition: undefined },
      {
        sid: 'TrackCallOutcomes',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: ['GetAtt:AlertStateTable.Arn'],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['contact#*', 'ladder#*'] } },
      },
      // Asks placeCall to ring the next level.
      { sid: 'RingNextLevel', actions: ['sqs:SendMessage'], resources: ['GetAtt:AlertQueue.Arn'], condition: undefined },
      // Lambda's on-failure destination sends with the function's role.
      { sid: 'ParkFailedContactEvents', actions: ['sqs:SendMessage'], resources: ['GetAtt:ContactEventsDeadLetterQueue.Arn'], condition: undefined },
      {
        sid: 'ReadAndUpdateInspectionRecords',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: ['${ImageBucket.Arn}/inspections/*.json'],
        condition: undefined,
      },
      { sid: 'TellMissingRecordsApart', actions: ['s3:ListBucket'], resources: ['GetAtt:ImageBucket.Arn'], condition: undefined },
    ]);
    expect(props('ContactEventsRole').ManagedPolicyArns).toBeUndefined();
  });

  it('lets recordDecision acknowledge alerts (ladder and contact items only) besides reading and updating records', () => {
    // Act
    const statements = grants('RecordDecisionRole');

    // Assess
    expect(statements).toEqual([
      {
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/waferwatch-dev-recordDecision:*'],
        condition: undefined,
      },
      { sid: 'WriteTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'], condition: undefined },
      // Every record, its own inspection's and the folded ones the acknowledgement also lands on; never images or masks.
      {
        sid: 'ReadAndUpdateInspectionRecords',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: ['${ImageBucket.Arn}/inspections/*.json'],
        condition: undefined,
      },
      // The operator's answer labels the wafer: its image is copied (server-side) into feedback/ for training.
      { sid: 'ReadInspectionImages', actions: ['s3:GetObject'], resources: ['${ImageBucket.Arn}/inspections/*'], condition: undefined },
      { sid: 'KeepLabelledImages', actions: ['s3:PutObject', 's3:DeleteObject'], resources: ['${ImageBucket.Arn}/feedback/*'], condition: undefined },
      { sid: 'TellMissingRecordsApart', actions: ['s3:ListBucket'], resources: ['GetAtt:ImageBucket.Arn'], condition: undefined },
      {
        sid: 'AcknowledgeAlerts',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: ['GetAtt:AlertStateTable.Arn'],
        condition: ESCALATION_ITEMS,
      },
    ]);
  });

  it('keeps the station registry in an encrypted, recoverable, pay-per-request table keyed by stationId, and names it in an output', () => {
    // Act
    const table = props('StationRegistryTable');

    // Assess
    expect(resource('StationRegistryTable').Type).toBe('AWS::DynamoDB::Table');
    expect(table).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'stationId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'stationId', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      // Like the alert state table: protected on every stage but dev, which this package is.
      DeletionProtectionEnabled: { 'Fn::If': ['ProtectAlertState', true, false] },
    });
    expect(props('AlertStateTable').DeletionProtectionEnabled).toEqual(table.DeletionProtectionEnabled);
    // npm run stations:import writes with the deployer's credentials into the table this output names.
    expect(template().Outputs?.StationRegistryTableName).toEqual(expect.objectContaining({ Value: { Ref: 'StationRegistryTable' } }));
  });

  it('lets the inspecting, upload and calling functions read one station at a time, only GET /stations list it, and nobody write the registry', () => {
    // Act
    const touching = roleIds().filter((roleId) => grants(roleId).some((grant) => grant.resources.some((text) => text.includes('StationRegistryTable'))));

    // Assess
    expect(touching.sort()).toEqual([...REGISTRY_READERS, STATION_LISTER].sort());
    for (const roleId of REGISTRY_READERS) {
      expect(
        grants(roleId).filter((grant) => grant.resources.some((text) => text.includes('StationRegistryTable'))),
        roleId,
      ).toEqual([{ sid: 'ReadStationRegistry', actions: ['dynamodb:GetItem'], resources: ['GetAtt:StationRegistryTable.Arn'], condition: undefined }]);
    }
    // The page's station list (GET /stations, people only): one Scan of the registry, its role's only table grant.
    expect(grants(STATION_LISTER).filter((grant) => grant.actions.some((action) => action.startsWith('dynamodb:')))).toEqual([
      { sid: 'ListStations', actions: ['dynamodb:Scan'], resources: ['GetAtt:StationRegistryTable.Arn'], condition: undefined },
    ]);
    // Any other listing (Scan, Query) or a batch is nobody's business in the functions.
    for (const roleId of roleIds()) {
      const actions = grants(roleId).flatMap((grant) => grant.actions);
      expect(
        actions.filter((action) => /^dynamodb:(Scan|Query|Batch|DeleteTable|PartiQL)/.test(action)),
        roleId,
      ).toEqual(roleId === STATION_LISTER ? ['dynamodb:Scan'] : []);
    }
    expect(environment('PlaceCallLambdaFunction').STATION_REGISTRY_TABLE).toEqual({ Ref: 'StationRegistryTable' });
  });

  it('publishes unacknowledged alerts to an SNS topic under the AWS-managed key that refuses plain-HTTP publishes, and only placeCall may publish', () => {
    // Prepare
    const topicPolicies = resourcesOfType(template(), 'AWS::SNS::TopicPolicy').filter(([, policy]) =>
      JSON.stringify(policy.Properties?.Topics).includes('"AlertUnacknowledgedTopic"'),
    );

    // Act
    expect(topicPolicies).toHaveLength(1);
    const policy = topicPolicies[0]![1].Properties as Record<string, any>;
    const statements = policyStatements(policy.PolicyDocument);
    const publishers = roleIds().filter((roleId) => grants(roleId).some((grant) => grant.actions.some((action) => action.startsWith('sns:'))));

    // Assess
    expect(resource('AlertUnacknowledgedTopic').Type).toBe('AWS::SNS::Topic');
    expect(props('AlertUnacknowledgedTopic').KmsMasterKeyId).toBe('alias/aws/sns');
    expect(policy.Topics).toEqual([{ Ref: 'AlertUnacknowledgedTopic' }]);
    expect(statements).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: 'AlertUnacknowledgedTopic' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    expect(publishers).toEqual(['PlaceCallRole']);
    expect(grants('PlaceCallRole').filter((grant) => grant.actions.some((action) => action.startsWith('sns:') || action.startsWith('kms:')))).toEqual([
      { sid: 'PublishUnacknowledgedAlerts', actions: ['sns:Publish'], resources: ['${AlertUnacknowledgedTopic}'], condition: undefined },
    ]);
  });

  it('gives every function the escalation settings and the topic, and no silence default any more', async () => {
    // Prepare
    const service = parseServerlessYaml(await readFile(path.join(repoRoot, 'serverless.yml'), 'utf8')) as { params: Record<string, Record<string, unknown>> };
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');

    // Act
    const defaults = service.params.default ?? {};

    // Assess
    expect(defaults).toMatchObject({ ackTimeoutSeconds: '120', escalationLoops: '2', unacknowledgedAlertEmail: '' });
    expect(Object.keys(service.params).flatMap((stage) => Object.keys(service.params[stage] ?? {}))).not.toContain('operatorDefaultDecision');
    // SQS delays a message by at most 900 s, and the timer is such a delay.
    expect(Number(defaults.ackTimeoutSeconds)).toBeLessThanOrEqual(900);
    expect(functions.length).toBeGreaterThanOrEqual(10);
    for (const [logicalId] of functions) {
      const variables = environment(logicalId);
      expect(variables, logicalId).toMatchObject({
        ACK_TIMEOUT_SECONDS: '120',
        ESCALATION_LOOPS: '2',
        STATION_REGISTRY_TABLE: { Ref: 'StationRegistryTable' },
        ALERT_UNACKNOWLEDGED_TOPIC_ARN: { Ref: 'AlertUnacknowledgedTopic' },
      });
      expect(variables, logicalId).not.toHaveProperty('OPERATOR_DEFAULT_DECISION');
      // The default station's number stays: a station with no registry entry rings it.
      expect(variables.OPERATOR_PHONE_NUMBER, logicalId).toBe('+15555550100');
    }
  });
});
