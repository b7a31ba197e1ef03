import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  artifactsDir,
  listZipEntries,
  policyStatements,
  resourcesOfType,
  templateResource,
  templateText,
  usePackagedTemplate,
  type CloudFormationResource,
  type PolicyStatement,
} from '../helpers/packaged-template';

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);
const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;

const ALARM_TOPIC = { Ref: 'AlarmTopic' };
const ALERT_RESOURCES = ['AlertQueue', 'AlertDeadLetterQueue', 'AlertStateTable'];
/** The functions that run the inspection pipeline, and so claim images and publish alerts. */
const PUBLISHERS = ['InspectImageRole', 'ProcessCameraUploadRole'];
/** Everyone who may put a message on the alert queue: the inspections (alerts), placeCall and contactEvents (escalation timers). */
const ALERT_QUEUE_SENDERS = ['ContactEventsRole', 'InspectImageRole', 'PlaceCallRole', 'ProcessCameraUploadRole'];
/** Roles that keep escalation state (ladder# and contact# items): the caller, the contact events and the keypress. */
const ESCALATION_ROLES = ['ContactEventsRole', 'PlaceCallRole', 'RecordDecisionRole'];
const CALL_OPERATOR_RESOURCE = 'arn:${AWS::Partition}:connect:${AWS::Region}:${AWS::AccountId}:instance/00000000-0000-4000-8000-000000000000/contact/*';

interface Grant {
  sid: string | undefined;
  actions: string[];
  resources: string[];
  condition: PolicyStatement['Condition'];
}

/** Every statement of a role's inline policies (both branches of a Fn::If), as text. */
function grants(roleId: string): Grant[] {
  const policies = (props(roleId).Policies ?? []) as Array<{ PolicyDocument: unknown }>;
  return policies
    .flatMap((policy) => policyStatements(policy.PolicyDocument))
    .map((statement) => {
      expect(statement.Effect, `${roleId} ${statement.Sid}`).toBe('Allow');
      return {
        sid: statement.Sid,
        actions: [statement.Action].flat(),
        resources: [statement.Resource].flat().map(templateText),
        condition: statement.Condition,
      };
    });
}

/** The grants of a role that name an action of a service. */
function grantsFor(roleId: string, service: string): Grant[] {
  return grants(roleId).filter((grant) => grant.actions.some((action) => action.startsWith(`${service}:`)));
}

/** The resources a role may apply an action to. */
function resourcesFor(roleId: string, action: string): string[] {
  return grants(roleId)
    .filter((grant) => grant.actions.includes(action))
    .flatMap((grant) => grant.resources)
    .sort();
}

function functionRole(functionId: string): string {
  const role = props(functionId).Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

function environment(functionId: string): Record<string, unknown> {
  return (props(functionId).Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('alert queue and alert state in the packaged stack (issue 6)', () => {
  it('queues alerts encrypted, redriving to the alert dead-letter queue after ALERT_MAX_ATTEMPTS deliveries', () => {
    // Act
    const queue = props('AlertQueue');
    const deadLetters = props('AlertDeadLetterQueue');
    const placeCall = props('PlaceCallLambdaFunction');

    // Assess
    expect(resource('AlertQueue').Type).toBe('AWS::SQS::Queue');
    expect(resource('AlertDeadLetterQueue').Type).toBe('AWS::SQS::Queue');
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(deadLetters.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['AlertDeadLetterQueue', 'Arn'] });
    // A --param is a string, so the template carries the count as SQS's string form; both must read 5.
    expect(Number(queue.RedrivePolicy.maxReceiveCount)).toBe(5);
    expect(Number(environment('PlaceCallLambdaFunction').ALERT_MAX_ATTEMPTS)).toBe(Number(queue.RedrivePolicy.maxReceiveCount));
    // Lambda's advice for SQS sources: at least six times the function timeout.
    expect(placeCall.Timeout).toBe(30);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * placeCall.Timeout);
    expect(queue.MessageRetentionPeriod).toBe(4 * 86_400);
    // The dead letters outlive the queue's messages, so nothing expires before a human looks.
    expect(deadLetters.MessageRetentionPeriod).toBe(14 * 86_400);
    expect(deadLetters.RedrivePolicy).toBeUndefined();
  });

  it('refuses plain-HTTP access to both alert queues', () => {
    // Prepare
    const [[, policy] = []] = resourcesOfType(template(), 'AWS::SQS::QueuePolicy').filter(([, candidate]) =>
      JSON.stringify(candidate.Properties?.Queues).includes('"AlertQueue"'),
    );

    // Act
    const statements = policyStatements(policy?.Properties?.PolicyDocument);
    const deny = statements.find((statement) => statement.Effect === 'Deny' && String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false');

    // Assess
    expect(policy?.Properties?.Queues).toEqual([{ Ref: 'AlertQueue' }, { Ref: 'AlertDeadLetterQueue' }]);
    expect(deny?.Principal).toBe('*');
    expect(deny?.Action).toBe('sqs:*');
    expect([deny?.Resource].flat().map(templateText).sort()).toEqual(['GetAtt:AlertDeadLetterQueue.Arn', 'GetAtt:AlertQueue.Arn']);
    // The policy only takes away: every sender and receiver is granted by its own role.
    expect(statements.filter((statement) => statement.Effect === 'Allow')).toEqual([]);
  });

  it('keeps the alert state in an encrypted, recoverable pay-per-request table keyed by pk, expiring by expiresAt', () => {
    // Act
    const table = props('AlertStateTable');

    // Assess
    expect(resource('AlertStateTable').Type).toBe('AWS::DynamoDB::Table');
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.GlobalSecondaryIndexes).toBeUndefined();
    // Deletion protection on every stage but dev, which this package is.
    expect(table.DeletionProtectionEnabled).toEqual({ 'Fn::If': ['ProtectAlertState', true, false] });
    expect(template().Conditions?.ProtectAlertState).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['dev', 'dev'] }] });
  });

  it('feeds placeCall from the alert queue in batches of 5, with partial batch failures, at most 2 at a time', () => {
    // Act
    const mappings = resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping').filter(([, candidate]) =>
      JSON.stringify(candidate.Properties?.EventSourceArn).includes('"AlertQueue"'),
    );
    const placeCall = props('PlaceCallLambdaFunction');

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['AlertQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['PlaceCallLambdaFunction', 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(placeCall.Handler).toBe('functions/handlers/place-call.handler');
    expect(placeCall.MemorySize).toBe(256);
    expect(functionRole('PlaceCallLambdaFunction')).toBe('PlaceCallRole');
    // Nothing else consumes the alert queue.
    expect(
      resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping').filter(([, candidate]) => JSON.stringify(candidate).includes('AlertDeadLetterQueue')),
    ).toEqual([]);
  });

  it('gives the publishers and placeCall the alert queues, table and call policy, and placeCall the Connect settings', () => {
    for (const functionId of ['InspectImageLambdaFunction', 'ProcessCameraUploadLambdaFunction', 'PlaceCallLambdaFunction']) {
      // Act
      const variables = environment(functionId);

      // Assess
      expect(variables, functionId).toMatchObject({
        ALERT_QUEUE_URL: { Ref: 'AlertQueue' },
        ALERT_DEAD_LETTER_QUEUE_URL: { Ref: 'AlertDeadLetterQueue' },
        ALERT_STATE_TABLE: { Ref: 'AlertStateTable' },
        STATION_CALL_COOLDOWN_SECONDS: '300',
        DAILY_CALL_CAP: '100',
        ALERT_MAX_ATTEMPTS: '5',
        IMAGE_DEDUPE_TTL_SECONDS: '1209600',
      });
    }
    expect(environment('PlaceCallLambdaFunction')).toMatchObject({
      CONNECT_INSTANCE_ID: '00000000-0000-4000-8000-000000000000',
      CONNECT_SOURCE_PHONE_NUMBER: '+15555550199',
      OPERATOR_PHONE_NUMBER: '+15555550100',
      OPERATOR_COUNTRY_PREFIXES: '+1',
    });
    expect(JSON.stringify(environment('PlaceCallLambdaFunction').CONNECT_CONTACT_FLOW_ID)).toContain('WaferAnomalyAlertFlow');
  });

  it('lets the inspection functions publish to the alert queue and claim images, and no longer call Connect', () => {
    for (const roleId of PUBLISHERS) {
      // Act
      const connect = grantsFor(roleId, 'connect');
      const sqs = grantsFor(roleId, 'sqs').filter((grant) => grant.actions.includes('sqs:SendMessage'));
      const dynamodb = grantsFor(roleId, 'dynamodb');

      // Assess
      expect(connect, roleId).toEqual([]);
      expect(sqs, roleId).toEqual([{ sid: 'PublishAlerts', actions: ['sqs:SendMessage'], resources: ['GetAtt:AlertQueue.Arn'], condition: undefined }]);
      // A conditional PutItem claims; a GetItem reads who holds the claim after a lost race; the station cooldown is one
      // conditional UpdateItem; and the station's registry entry one GetItem, never a Scan.
      expect(dynamodb, roleId).toEqual([
        {
          sid: 'ClaimImages',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: ['GetAtt:AlertStateTable.Arn'],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['image#*'] } },
        },
        // The station cooldown, asked at upload (folds never queue): only station# items, and never deleted.
        {
          sid: 'AskStationCooldown',
          actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
          resources: ['GetAtt:AlertStateTable.Arn'],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['station#*'] } },
        },
        { sid: 'ReadStationRegistry', actions: ['dynamodb:GetItem'], resources: ['GetAtt:StationRegistryTable.Arn'], condition: undefined },
      ]);
      expect(resourcesFor(roleId, 'sqs:SendMessage'), roleId).not.toContain('GetAtt:AlertDeadLetterQueue.Arn');
    }
    // The camera processor still consumes its own queue, and only that one.
    expect(resourcesFor('ProcessCameraUploadRole', 'sqs:ReceiveMessage')).toEqual(['GetAtt:CameraUploadQueue.Arn']);
    expect(resourcesFor('InspectImageRole', 'sqs:ReceiveMessage')).toEqual([]);
  });

  it('scopes placeCall to exactly its log group, traces, the alert queues, its table items, the registry, inspection records, one Connect instance and one topic', () => {
    // Act
    const statements = grants('PlaceCallRole');

    // Assess
    expect(statements).toEqual([
      {
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: ['arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/waferwatch-dev-placeCall:*'],
        condition: undefined,
      },
      { sid: 'WriteTraces', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'], condition: undefined },
      {
        sid: 'ConsumeAlertQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        resources: ['GetAtt:AlertQueue.Arn'],
        condition: undefined,
      },
      { sid: 'DeadLetterAlerts', actions: ['sqs:SendMessage'], resources: ['GetAtt:AlertDeadLetterQueue.Arn'], condition: undefined },
      // Escalation timers: delayed messages to its own queue.
      { sid: 'ScheduleEscalations', actions: ['sqs:SendMessage'], resources: ['GetAtt:AlertQueue.Arn'], condition: undefined },
      {
        sid: 'KeepAlertState',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: ['GetAtt:AlertStateTable.Arn'],
        // Alert leases, station cooldowns and the daily count; the inspections' image claims are not its business.
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['alert#*', 'station#*', 'calls#*'] } },
      },
      {
        sid: 'KeepEscalationState',
        // The ladder and its calls are never deleted (they expire), so no DeleteItem on them.
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: ['GetAtt:AlertStateTable.Arn'],
        condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ladder#*', 'contact#*'] } },
      },
      { sid: 'ReadStationRegistry', actions: ['dynamodb:GetItem'], resources: ['GetAtt:StationRegistryTable.Arn'], condition: undefined },
      {
        sid: 'ReadAndUpdateInspectionRecords',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: ['${ImageBucket.Arn}/inspections/*.json'],
        condition: undefined,
      },
      // Names only, so a missing record is a 404 the consumer retries, not a 403.
      { sid: 'TellMissingRecordsApart', actions: ['s3:ListBucket'], resources: ['GetAtt:ImageBucket.Arn'], condition: undefined },
      { sid: 'CallOperator', actions: ['connect:StartOutboundVoiceContact'], resources: [CALL_OPERATOR_RESOURCE], condition: undefined },
      // No KMS grant: the topic's AWS-managed key is usable through SNS by the account's principals.
      { sid: 'PublishUnacknowledgedAlerts', actions: ['sns:Publish'], resources: ['${AlertUnacknowledgedTopic}'], condition: undefined },
    ]);
    expect(props('PlaceCallRole').ManagedPolicyArns).toBeUndefined();
  });

  it('lets no other role near the alert queues or table, and no role call Connect but placeCall', () => {
    // Act
    const roles = resourcesOfType(template(), 'AWS::IAM::Role').map(([logicalId]) => logicalId);
    const touching = roles.filter((roleId) => grants(roleId).some((grant) => ALERT_RESOURCES.some((id) => grant.resources.some((text) => text.includes(id)))));
    const calling = roles.filter((roleId) => grantsFor(roleId, 'connect').length > 0);
    const sendingAlerts = roles.filter((roleId) => resourcesFor(roleId, 'sqs:SendMessage').includes('GetAtt:AlertQueue.Arn'));
    const tableGrants = roles.flatMap((roleId) =>
      grantsFor(roleId, 'dynamodb')
        .filter((grant) => grant.resources.includes('GetAtt:AlertStateTable.Arn'))
        .map((grant) => ({ roleId, grant })),
    );

    // Assess
    expect(touching.sort()).toEqual([...PUBLISHERS, ...ESCALATION_ROLES].sort());
    expect(calling).toEqual(['PlaceCallRole']);
    expect(sendingAlerts.sort()).toEqual(ALERT_QUEUE_SENDERS);
    // Every grant on the alert state table is held to item key prefixes; escalation items only by the three escalation roles.
    for (const { roleId, grant } of tableGrants) {
      const prefixes = grant.condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined;
      expect(prefixes?.length, `${roleId} ${grant.sid}`).toBeGreaterThan(0);
      for (const prefix of prefixes ?? []) expect(prefix, `${roleId} ${grant.sid}`).toMatch(/^[a-z]+#\*$/);
      expect(Object.keys(grant.condition ?? {}), `${roleId} ${grant.sid}`).toEqual(['ForAllValues:StringLike']);
      if (prefixes?.some((prefix) => prefix === 'ladder#*' || prefix === 'contact#*')) expect(ESCALATION_ROLES, `${roleId} ${grant.sid}`).toContain(roleId);
    }
    for (const roleId of roles) {
      for (const grant of grants(roleId).filter((candidate) => candidate.actions.some((action) => /^(sqs|dynamodb|connect|s3|sns):/.test(action)))) {
        for (const text of grant.resources) expect(text, `${roleId} ${grant.sid}`).not.toMatch(/^\*$|^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
      }
    }
  });

  it('carries the escalation timers on the alert queue: per-message delays apply, and a timer fits its size and retention', () => {
    // Act
    const queue = props('AlertQueue');

    // Assess
    // No queue-wide delay: each timer's own DelaySeconds (ackTimeoutSeconds) decides, and alerts ring at once.
    expect(queue.DelaySeconds ?? 0).toBe(0);
    // SQS's default maximum (256 KiB) unless raised; never lowered under what a timer or an alert needs.
    expect(queue.MaximumMessageSize ?? 262_144).toBeGreaterThanOrEqual(262_144);
    // A timer waits at most 900 s (SQS's limit on DelaySeconds); the queue keeps messages for days.
    const ackTimeout = Number(environment('PlaceCallLambdaFunction').ACK_TIMEOUT_SECONDS);
    expect(ackTimeout).toBe(120);
    expect(ackTimeout).toBeLessThanOrEqual(900);
    expect(queue.MessageRetentionPeriod).toBeGreaterThan(900);
    // A due timer must not look like a stuck alert.
    expect(props('AlertQueueOldestMessageAge').Threshold).toBeGreaterThan(ackTimeout);
  });

  it('alarms on one dead-lettered alert and on an alert waiting over 10 minutes, and keeps the failed-call alarm', () => {
    // Act
    const deadLetters = props('AlertDeadLetterQueueNotEmpty');
    const age = props('AlertQueueOldestMessageAge');
    const callsFailed = props('CallsFailedAlarm');

    // Assess
    expect(deadLetters).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['AlertDeadLetterQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(age).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['AlertQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(callsFailed).toMatchObject({ Namespace: 'waferwatch', MetricName: 'CallsFailed' });
    for (const alarm of [deadLetters, age]) {
      expect(alarm.AlarmActions).toEqual([ALARM_TOPIC]);
      expect(alarm.OKActions).toEqual([ALARM_TOPIC]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
    }
  });

  it('packages placeCall as a small bundle without sharp (it never decodes an image)', async () => {
    // Prepare
    const zipPath = path.join(artifactsDir, 'placeCall.zip');

    // Act
    const names = (await listZipEntries(zipPath)).map((entry) => entry.name);
    const zipped = await stat(zipPath);

    // Assess
    expect(names).toContain('functions/handlers/place-call.mjs');
    expect(names.filter((name) => /(^|\/)(sharp|@img)\//.test(name) || name.endsWith('.node'))).toEqual([]);
    expect(names).not.toContain('models/wafer-default.wwm');
    expect(zipped.size).toBeLessThan(2 * 1024 * 1024);
  });
});
