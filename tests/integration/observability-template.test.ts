import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServerlessYaml } from '../../local/serverless-routes';
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

const template = usePackagedTemplate();

const resource = (logicalId: string): CloudFormationResource => templateResource(template(), logicalId);
const props = (logicalId: string) => resource(logicalId).Properties as Record<string, any>;
const ALARM_TOPIC = { Ref: 'AlarmTopic' };

describe('observability in the packaged template', () => {
  it('traces every function with X-Ray, and asks the framework to trace the API stage', async () => {
    // Prepare
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    const service = parseServerlessYaml(await readFile(path.join(repoRoot, 'serverless.yml'), 'utf8')) as { provider: { tracing?: unknown } };

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const [logicalId, fn] of functions) expect(fn.Properties?.TracingConfig, logicalId).toEqual({ Mode: 'Active' });
    // The framework turns stage tracing on with an UpdateStage call at deploy time, so it is not in the template.
    expect(service.provider.tracing).toEqual({ lambda: true, apiGateway: true });
  });

  it('lets each function role write traces, with exactly the two X-Ray actions (which only take "*")', () => {
    // Prepare
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');

    for (const [logicalId, fn] of functions) {
      // Act
      const roleId = (fn.Properties?.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const statements = (props(roleId).Policies as Array<{ PolicyDocument: unknown }>).flatMap((policy) => policyStatements(policy.PolicyDocument));
      const xray = statements.filter((statement: PolicyStatement) => [statement.Action].flat().some((action) => String(action).startsWith('xray:')));

      // Assess
      expect(xray, logicalId).toEqual([{ Sid: 'WriteTraces', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' }]);
    }
  });

  it('sends every alarm, and its recovery, to the alarm topic, which mails alarmEmail only when one is given', () => {
    // Prepare
    const alarms = resourcesOfType(template(), 'AWS::CloudWatch::Alarm');

    // Assess
    expect(alarms.map(([logicalId]) => logicalId).sort()).toEqual([
      'AlertDeadLetterQueueNotEmpty',
      'AlertQueueOldestMessageAge',
      'AlertsUnacknowledgedAlarm',
      'Api5xxAlarm',
      'CallsFailedAlarm',
      'CameraUploadDeadLetterAlarm',
      'ContactEventsDeadLetterQueueNotEmpty',
      'InspectImageErrorRateAlarm',
    ]);
    for (const [logicalId, alarm] of alarms) {
      expect(alarm.Properties?.AlarmActions, logicalId).toEqual([ALARM_TOPIC]);
      expect(alarm.Properties?.OKActions, logicalId).toEqual([ALARM_TOPIC]);
      expect(alarm.Properties?.TreatMissingData, logicalId).toBe('notBreaching');
    }
    expect(resource('AlarmTopic').Type).toBe('AWS::SNS::Topic');
    const subscription = resource('AlarmEmailSubscription');
    expect(subscription.Condition).toBe('AlarmEmailGiven');
    expect(subscription.Properties).toEqual({ TopicArn: ALARM_TOPIC, Protocol: 'email', Endpoint: '' });
    expect(template().Conditions?.AlarmEmailGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it("alarms on the inspect function's error rate as Errors / Invocations", () => {
    // Prepare
    const alarm = props('InspectImageErrorRateAlarm');
    const metrics = alarm.Metrics as Array<Record<string, any>>;

    // Act
    const byId = Object.fromEntries(metrics.map((metric) => [metric.Id, metric]));

    // Assess
    expect(byId.errorRate.Expression).toBe('IF(invocations > 0, 100 * errors / invocations, 0)');
    expect(byId.errorRate.ReturnData).toBe(true);
    for (const [id, name] of [
      ['errors', 'Errors'],
      ['invocations', 'Invocations'],
    ] as const) {
      expect(byId[id].ReturnData).toBe(false);
      expect(byId[id].MetricStat.Metric).toEqual({
        Namespace: 'AWS/Lambda',
        MetricName: name,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'InspectImageLambdaFunction' } }],
      });
      expect(byId[id].MetricStat.Stat).toBe('Sum');
    }
    expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
    expect(alarm.Threshold).toBe(5);
    expect(resource('InspectImageLambdaFunction').Type).toBe('AWS::Lambda::Function');
  });

  it("alarms on the API's 5XX answers, for the stack's own API and stage", () => {
    // Prepare
    const alarm = props('Api5xxAlarm');
    const apiName = props('ApiGatewayRestApi').Name as string;

    // Assess
    expect(alarm.Namespace).toBe('AWS/ApiGateway');
    expect(alarm.MetricName).toBe('5XXError');
    expect(alarm.Dimensions).toEqual([
      { Name: 'ApiName', Value: apiName },
      { Name: 'Stage', Value: 'dev' },
    ]);
    expect(alarm.Statistic).toBe('Sum');
  });

  it('alarms on one dead-lettered camera upload', () => {
    // Prepare
    const alarm = props('CameraUploadDeadLetterAlarm');

    // Assess
    expect(alarm.Namespace).toBe('AWS/SQS');
    expect(alarm.MetricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['CameraUploadDeadLetterQueue', 'QueueName'] } }]);
    expect([alarm.ComparisonOperator, alarm.Threshold]).toEqual(['GreaterThanThreshold', 0]);
  });

  it('alarms on one failed operator call, reading the EMF metric the handlers emit (namespace, service and stage)', async () => {
    // Prepare
    const { METRICS_NAMESPACE, SERVICE_NAME } = await import('../../functions/adapters/observability/observability');
    const alarm = props('CallsFailedAlarm');

    // Assess
    expect(alarm.Namespace).toBe(METRICS_NAMESPACE);
    expect(alarm.MetricName).toBe('CallsFailed');
    expect(alarm.Dimensions).toEqual([
      { Name: 'service', Value: SERVICE_NAME },
      { Name: 'stage', Value: 'dev' },
    ]);
    expect([alarm.Statistic, alarm.ComparisonOperator, alarm.Threshold]).toEqual(['Sum', 'GreaterThanThreshold', 0]);
    expect(templateText(alarm.Namespace)).toBe('waferwatch');
  });

  it('alarms on one alert nobody acknowledged, reading the EMF metric beside CallsFailed (same namespace, service and stage)', async () => {
    // Prepare
    const { METRICS_NAMESPACE, SERVICE_NAME } = await import('../../functions/adapters/observability/observability');
    const alarm = props('AlertsUnacknowledgedAlarm');
    const callsFailed = props('CallsFailedAlarm');

    // Assess
    expect(alarm.Namespace).toBe(METRICS_NAMESPACE);
    expect(alarm.MetricName).toBe('AlertsUnacknowledged');
    expect(alarm.Dimensions).toEqual([
      { Name: 'service', Value: SERVICE_NAME },
      { Name: 'stage', Value: 'dev' },
    ]);
    expect(alarm.Dimensions).toEqual(callsFailed.Dimensions);
    expect([alarm.Statistic, alarm.Period, alarm.EvaluationPeriods, alarm.ComparisonOperator, alarm.Threshold]).toEqual([
      'Sum',
      60,
      1,
      'GreaterThanOrEqualToThreshold',
      1,
    ]);
    // CloudWatch cannot publish to AlertUnacknowledgedTopic (encrypted with the AWS-managed SNS key, whose policy does not
    // let CloudWatch use it), so the alarm goes to the alarm topic only; placeCall itself publishes to the other.
    expect(alarm.AlarmActions).toEqual([ALARM_TOPIC]);
    expect(alarm.OKActions).toEqual([ALARM_TOPIC]);
    expect(props('AlertUnacknowledgedTopic').KmsMasterKeyId).toBe('alias/aws/sns');
    expect(props('AlarmTopic').KmsMasterKeyId).toBeUndefined();
  });

  it('mails unacknowledged alerts to unacknowledgedAlertEmail only when one is given', () => {
    // Act
    const subscription = resource('UnacknowledgedAlertEmailSubscription');

    // Assess
    expect(subscription.Condition).toBe('UnacknowledgedAlertEmailGiven');
    expect(subscription.Properties).toEqual({ TopicArn: { Ref: 'AlertUnacknowledgedTopic' }, Protocol: 'email', Endpoint: '' });
    expect(template().Conditions?.UnacknowledgedAlertEmailGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('alarms on one contact event that could not be processed', () => {
    // Act
    const alarm = props('ContactEventsDeadLetterQueueNotEmpty');

    // Assess
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ContactEventsDeadLetterQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});
