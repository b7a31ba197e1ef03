import { describe, expect, it } from 'vitest';
import {
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

/** Every Allow statement of a role's inline policies, as `action -> resources` pairs (text). */
function grants(roleId: string): Array<{ sid: string | undefined; actions: string[]; resources: string[] }> {
  const policies = props(roleId).Policies as Array<{ PolicyDocument: unknown }>;
  return policies
    .flatMap((policy) => policyStatements(policy.PolicyDocument))
    .filter((statement: PolicyStatement) => statement.Effect === 'Allow')
    .map((statement) => ({
      sid: statement.Sid,
      actions: [statement.Action].flat(),
      resources: [statement.Resource].flat().map(templateText),
    }));
}

/** The resources a role may apply an action to. */
function resourcesFor(roleId: string, action: string): string[] {
  return grants(roleId)
    .filter((grant) => grant.actions.includes(action))
    .flatMap((grant) => grant.resources)
    .sort();
}

describe('camera path in the packaged stack (issue 6)', () => {
  it("routes POST /uploads to createUpload behind the request authorizer and the camera's usage key", () => {
    // Act
    const [, method] = resourcesOfType(template(), 'AWS::ApiGateway::Method').find(([logicalId]) => logicalId === 'ApiGatewayMethodUploadsPost')!;
    // Assess
    expect(method.Properties).toMatchObject({
      HttpMethod: 'POST',
      ApiKeyRequired: true,
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: 'AuthorizeRequestApiGatewayAuthorizer' },
      Integration: { Type: 'AWS_PROXY' },
    });
    expect(JSON.stringify(method.Properties)).toContain('CreateUploadLambdaFunction');
    expect(props('CreateUploadLambdaFunction').Environment.Variables).toMatchObject({ CAMERA_MAX_IMAGE_BYTES: '20971520', UPLOAD_URL_EXPIRY_SECONDS: '300' });
  });

  it('sends only ObjectCreated under incoming/ from the image bucket to the camera upload queue', () => {
    // Act
    const notification = props('ImageBucket').NotificationConfiguration;
    // Assess
    expect(notification.QueueConfigurations).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Queue: { 'Fn::GetAtt': ['CameraUploadQueue', 'Arn'] },
        Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }] } },
      },
    ]);
    expect(notification.LambdaConfigurations).toBeUndefined();
    expect([resource('ImageBucket').DependsOn].flat()).toContain('CameraUploadQueuePolicy');
  });

  it("lets only this account's image bucket, by its exact ARN, send to the queue, over TLS", () => {
    // Act
    const statements = policyStatements(props('CameraUploadQueuePolicy').PolicyDocument);
    const allow = statements.find((statement) => statement.Effect === 'Allow')!;
    const bucketName = templateText(props('ImageBucket').BucketName);
    // Assess
    expect(allow.Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(allow.Action).toBe('sqs:SendMessage');
    expect(allow.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucketName}` } },
    });
    expect(bucketName).toBe('waferwatch-dev-images-${AWS::AccountId}-${AWS::Region}');
    expect(statements.some((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition).includes('aws:SecureTransport'))).toBe(true);
  });

  it('feeds processCameraUpload from the queue with partial batch failures, and dead-letters what keeps failing', () => {
    // Act
    const [, mapping] = resourcesOfType(template(), 'AWS::Lambda::EventSourceMapping').find(([, candidate]) =>
      JSON.stringify(candidate).includes('CameraUploadQueue'),
    )!;
    const queue = props('CameraUploadQueue');
    // Assess
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['CameraUploadQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['ProcessCameraUploadLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['CameraUploadDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    // Lambda's rule for SQS sources: the message stays hidden at least as long as the function may run.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(props('ProcessCameraUploadLambdaFunction').Timeout);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(props('CameraUploadDeadLetterQueue').SqsManagedSseEnabled).toBe(true);
  });

  it('alarms as soon as one camera upload is in the dead-letter queue', () => {
    const alarm = props('CameraUploadDeadLetterAlarm');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['CameraUploadDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('lets createUpload put under incoming/ only (what the presigned POST needs), and nothing else in S3', () => {
    // Act
    const s3Actions = grants('CreateUploadRole').flatMap((grant) => grant.actions.filter((action) => action.startsWith('s3:')));
    // Assess
    expect(s3Actions).toEqual(['s3:PutObject']);
    expect(resourcesFor('CreateUploadRole', 's3:PutObject')).toEqual(['${ImageBucket.Arn}/incoming/*']);
    expect(props('CreateUploadLambdaFunction').Role).toEqual({ 'Fn::GetAtt': ['CreateUploadRole', 'Arn'] });
  });

  it('scopes processCameraUpload: take from incoming/, park in rejected/, store inspections, consume its queue, publish alerts as the inspect function does', () => {
    // Act / Assess
    expect(resourcesFor('ProcessCameraUploadRole', 's3:DeleteObject')).toEqual(['${ImageBucket.Arn}/incoming/*']);
    // The model grant is conditional (embeddedModelSource=s3); both branches are listed.
    expect(resourcesFor('ProcessCameraUploadRole', 's3:GetObject')).toEqual([
      '${ImageBucket.Arn}/incoming/*',
      '${ImageBucket.Arn}/inspections/*',
      // The stations' own models (models/<station>/<sha256>.<ext>), then the stage's when it is read from S3.
      '${ImageBucket.Arn}/models/*',
      '${ImageBucket.Arn}/models/wafer-default.wwm',
    ]);
    expect(resourcesFor('ProcessCameraUploadRole', 's3:PutObject')).toEqual(['${ImageBucket.Arn}/inspections/*', '${ImageBucket.Arn}/rejected/*']);
    expect(resourcesFor('ProcessCameraUploadRole', 's3:ListBucket')).toEqual(['GetAtt:ImageBucket.Arn']);
    expect(resourcesFor('ProcessCameraUploadRole', 'sqs:ReceiveMessage')).toEqual(['GetAtt:CameraUploadQueue.Arn']);
    // The same pipeline: it queues alerts (placeCall calls) and claims images, with the inspect function's grants.
    expect(resourcesFor('ProcessCameraUploadRole', 'connect:StartOutboundVoiceContact')).toEqual([]);
    expect(resourcesFor('ProcessCameraUploadRole', 'sqs:SendMessage')).toEqual(['GetAtt:AlertQueue.Arn']);
    for (const action of ['sqs:SendMessage', 'dynamodb:PutItem', 'dynamodb:GetItem']) {
      expect(resourcesFor('ProcessCameraUploadRole', action), action).toEqual(resourcesFor('InspectImageRole', action));
    }
    expect(resourcesFor('ProcessCameraUploadRole', 'lookoutvision:DetectAnomalies')).toEqual(resourcesFor('InspectImageRole', 'lookoutvision:DetectAnomalies'));
    expect(resourcesFor('ProcessCameraUploadRole', 'logs:PutLogEvents')).toEqual([
      'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/waferwatch-dev-processCameraUpload:*',
    ]);
    // X-Ray's trace-writing actions take only "*"; observability-template.test.ts pins that statement exactly.
    for (const grant of [...grants('ProcessCameraUploadRole'), ...grants('CreateUploadRole')].filter((grant) => grant.sid !== 'WriteTraces')) {
      for (const text of grant.resources) expect(text, grant.sid).not.toMatch(/^\*$|^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
    }
  });

  it('gives the camera path its own size limit, above the API one', () => {
    const variables = props('ProcessCameraUploadLambdaFunction').Environment.Variables;
    expect(Number(variables.CAMERA_MAX_IMAGE_BYTES)).toBeGreaterThan(Number(variables.MAX_IMAGE_BYTES));
  });
});
