import { beforeAll, describe, expect, it } from 'vitest';
import { cloudFormationSpec, validateTemplate } from '../../helpers/cloudformation-spec';

beforeAll(() => {
  // Loading the specification database takes about half a second; once per file.
  cloudFormationSpec();
}, 60_000);

interface SmallTemplate {
  AWSTemplateFormatVersion: string;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties: Record<string, any>; [attribute: string]: unknown }>;
  Outputs: Record<string, unknown>;
}

/** A small, valid template in the packaged template's idiom: a queue, its policy, a bucket with an Fn::If, outputs. */
function smallTemplate(): SmallTemplate {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Conditions: { LogsWanted: { 'Fn::Equals': ['true', 'true'] } },
    Resources: {
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          SqsManagedSseEnabled: true,
          // Numbers may come as numeric strings (a --param is a string); CloudFormation accepts both.
          VisibilityTimeout: '180',
          MessageRetentionPeriod: 345600,
          RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetters', 'Arn'] }, maxReceiveCount: '5' },
        },
      },
      DeadLetters: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      QueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Queue' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } }],
          },
        },
      },
      Bucket: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        DependsOn: 'QueuePolicy',
        Properties: {
          VersioningConfiguration: { Status: 'Enabled' },
          LifecycleConfiguration: { Rules: [{ Id: 'Expire', Status: 'Enabled', Prefix: 'inspections/', ExpirationInDays: 365 }] },
          LoggingConfiguration: { 'Fn::If': ['LogsWanted', { DestinationBucketName: 'logs', LogFilePrefix: 'bucket/' }, { Ref: 'AWS::NoValue' }] },
          Tags: [{ Key: 'stage', Value: 'dev' }],
        },
      },
    },
    Outputs: {
      QueueUrl: { Value: { Ref: 'Queue' } },
      BucketArn: { Description: 'The bucket', Value: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/${!Literal} ${Queue.QueueName}' } },
    },
  };
}

describe('validateTemplate (the CloudFormation resource specification, @aws-cdk/aws-service-spec)', () => {
  it('accepts a valid template', () => {
    // Act
    const problems = validateTemplate(smallTemplate());

    // Assess
    expect(problems).toEqual([]);
  });

  it('fails a misspelt property, naming it and the property meant', () => {
    // Prepare
    const template = smallTemplate();
    const queue = template.Resources.Queue!.Properties;
    queue.VisibilityTimout = queue.VisibilityTimeout;
    delete queue.VisibilityTimeout;

    // Act
    const problems = validateTemplate(template);

    // Assess
    expect(problems).toEqual([
      { path: 'Resources.Queue.Properties.VisibilityTimout', message: 'AWS::SQS::Queue has no property VisibilityTimout (did you mean VisibilityTimeout?)' },
    ]);
  });

  it('fails a misspelt property inside a structure, a list and an Fn::If branch', () => {
    // Prepare
    const template = smallTemplate();
    const bucket = template.Resources.Bucket!.Properties;
    bucket.VersioningConfiguration = { Stauts: 'Enabled' };
    bucket.LifecycleConfiguration.Rules[0].ExpirationInDay = 30;
    bucket.LoggingConfiguration['Fn::If'][1].LogFilePrefx = 'x/';

    // Act
    const problems = validateTemplate(template).map((problem) => `${problem.path}: ${problem.message}`);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'Resources.Bucket.Properties.VersioningConfiguration.Stauts: VersioningConfiguration has no property Stauts (did you mean Status?)',
        'Resources.Bucket.Properties.VersioningConfiguration.Status: is required by VersioningConfiguration',
        'Resources.Bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDay: Rule has no property ExpirationInDay (did you mean ExpirationInDays?)',
        'Resources.Bucket.Properties.LoggingConfiguration.Fn::If[1].LogFilePrefx: LoggingConfiguration has no property LogFilePrefx (did you mean LogFilePrefix?)',
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('fails a resource type that does not exist, and an unknown resource attribute', () => {
    // Prepare
    const template = smallTemplate();
    template.Resources.DeadLetters!.Type = 'AWS::SQS::Queues';
    template.Resources.Bucket!.DeletionPolicy = 'Keep';
    template.Resources.Bucket!.Propreties = {};

    // Act
    const problems = validateTemplate(template);

    // Assess
    expect(problems).toEqual([
      { path: 'Resources.DeadLetters.Type', message: 'AWS::SQS::Queues is not a CloudFormation resource type' },
      { path: 'Resources.Bucket.Propreties', message: expect.stringMatching(/^is not a resource attribute/) },
      { path: 'Resources.Bucket.DeletionPolicy', message: 'must be one of Delete, Retain, RetainExceptOnCreate, Snapshot, not "Keep"' },
    ]);
  });

  it('fails a missing required property', () => {
    // Prepare
    const template = smallTemplate();
    delete template.Resources.QueuePolicy!.Properties.Queues;

    // Act
    const problems = validateTemplate(template);

    // Assess
    expect(problems).toEqual([{ path: 'Resources.QueuePolicy.Properties.Queues', message: 'is required by AWS::SQS::QueuePolicy' }]);
  });

  it('fails values of the wrong primitive type or kind, and a value the specification does not allow', () => {
    // Prepare
    const template = smallTemplate();
    const queue = template.Resources.Queue!.Properties;
    queue.VisibilityTimeout = 'three minutes';
    queue.SqsManagedSseEnabled = 'yes';
    queue.MessageRetentionPeriod = 3.5;
    template.Resources.QueuePolicy!.Properties.Queues = { Ref: 'Queue' };
    template.Resources.Bucket!.Properties.LifecycleConfiguration.Rules[0].Status = 'enabled';
    template.Resources.Bucket!.Properties.Tags = [{ Key: 'stage', Value: { nested: true } }];

    // Act
    const problems = validateTemplate(template).map((problem) => `${problem.path}: ${problem.message}`);

    // Assess: a Ref is a deploy-time value, so a list given as one Ref is not judged (CloudFormation would refuse it).
    expect(problems).toEqual([
      'Resources.Queue.Properties.SqsManagedSseEnabled: must be a boolean, not string "yes"',
      'Resources.Queue.Properties.VisibilityTimeout: must be an integer, not string "three minutes"',
      'Resources.Queue.Properties.MessageRetentionPeriod: must be an integer, not number 3.5',
      'Resources.Bucket.Properties.LifecycleConfiguration.Rules[0].Status: must be one of "Enabled", "Disabled", not "enabled"',
      'Resources.Bucket.Properties.Tags[0].Value: must be a string, not an object',
    ]);
  });

  it('fails what intrinsic functions name when it is not in the template or the resource type', () => {
    // Prepare
    const template = smallTemplate();
    template.Resources.QueuePolicy!.Properties.Queues = [{ Ref: 'Queu' }];
    template.Resources.Queue!.Properties.RedrivePolicy.deadLetterTargetArn = { 'Fn::GetAtt': ['DeadLetters', 'Arnn'] };
    template.Resources.Bucket!.Properties.LoggingConfiguration['Fn::If'][0] = 'LogWanted';
    template.Resources.Bucket!.DependsOn = ['QueuePolicies'];
    template.Outputs = { Url: { Value: { 'Fn::Sub': 'https://${Bucket.DomainNam}/${Missing}' } } };

    // Act
    const problems = validateTemplate(template).map((problem) => `${problem.path}: ${problem.message}`);

    // Assess
    expect(problems).toEqual([
      'Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn.Fn::GetAtt: AWS::SQS::Queue has no attribute Arnn (it has Arn, QueueName, QueueUrl)',
      'Resources.QueuePolicy.Properties.Queues[0].Ref: names no resource, parameter or pseudo parameter: "Queu"',
      'Resources.Bucket.DependsOn[0]: names no resource of the template: "QueuePolicies"',
      'Resources.Bucket.Properties.LoggingConfiguration.Fn::If[0]: names no condition of the template: "LogWanted"',
      expect.stringMatching(/^Outputs\.Url\.Value\.Fn::Sub \$\{Bucket\.DomainNam\}: AWS::S3::Bucket has no attribute DomainNam \(it has .*DomainName/),
      'Outputs.Url.Value.Fn::Sub ${Missing}: names no resource, parameter or pseudo parameter: "Missing"',
    ]);
  });

  it('checks only the service token of a custom resource', () => {
    // Prepare
    const template = smallTemplate();
    template.Resources.Custom = { Type: 'Custom::Anything', Properties: { Whatever: { nested: ['is', "the provider's business"] } } };

    // Act
    const problems = validateTemplate(template);

    // Assess
    expect(problems).toEqual([{ path: 'Resources.Custom.Properties.ServiceToken', message: 'is required (Custom::Anything)' }]);
  });
});
