import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadContactFlow } from '../../local/contact-flow-interpreter/flow-language';
import { repoRoot, resourcesOfType, usePackagedTemplate, type CloudFormationResource } from '../helpers/packaged-template';

/** The dev stage's placeholder instance (serverless.yml params.dev.connectInstanceId). */
const DEV_INSTANCE_ID = '00000000-0000-4000-8000-000000000000';
const FAKE_FLOW_ARN = `arn:aws:connect:eu-west-1:123456789012:instance/${DEV_INSTANCE_ID}/contact-flow/f1f2f3f4-0000-4000-8000-000000000042`;

/**
 * Evaluate the few intrinsics the flow id uses (Fn::Select, Fn::Split, Fn::GetAtt of the flow's ARN),
 * so the test checks what CloudFormation would compute rather than how the YAML is spelt.
 */
function evaluate(value: unknown, flowLogicalId: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const [name, argument] = Object.entries(value)[0] ?? [];
  if (name === 'Fn::GetAtt') {
    expect(argument).toEqual([flowLogicalId, 'ContactFlowArn']);
    return FAKE_FLOW_ARN;
  }
  if (name === 'Fn::Split') {
    const [separator, source] = argument as [string, unknown];
    return String(evaluate(source, flowLogicalId)).split(separator);
  }
  if (name === 'Fn::Select') {
    const [index, list] = argument as [number | string, unknown];
    return (evaluate(list, flowLogicalId) as unknown[])[Number(index)];
  }
  throw new Error(`Unexpected intrinsic ${String(name)}`);
}

/** The logical id a Fn::GetAtt [id, Arn] or Ref points at. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record['Fn::GetAtt'])) return record['Fn::GetAtt'][0] as string;
  if (typeof record.Ref === 'string') return record.Ref;
  return undefined;
}

describe('the packaged CloudFormation template deploys the operator call', () => {
  const template = usePackagedTemplate();
  let flowId: string;
  let flow: CloudFormationResource;
  let recordDecisionId: string;

  beforeAll(() => {
    const flows = resourcesOfType(template(), 'AWS::Connect::ContactFlow');
    expect(flows).toHaveLength(1);
    [flowId, flow] = flows[0] as [string, CloudFormationResource];
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    const recordDecision = functions.find(([, resource]) => String(resource.Properties?.Handler).startsWith('functions/handlers/record-decision.'));
    expect(recordDecision, 'a function whose handler is functions/handlers/record-decision').toBeDefined();
    recordDecisionId = (recordDecision as [string, CloudFormationResource])[0];
  });

  it('contains the shipped flow, in the given instance, with the record-decision ARN substituted and no configurable default decision', () => {
    // Prepare
    const properties = flow.Properties as Record<string, any>;
    const [content, variables] = properties.Content['Fn::Sub'] as [string, Record<string, unknown>];
    const shipped = JSON.parse(readFileSync(path.join(repoRoot, 'contact-flows/wafer-anomaly-alert.json'), 'utf8'));
    // Act: fill the placeholders the way Fn::Sub will, with a stand-in for the function's ARN.
    const placeholders = [...new Set(content.match(/\$\{[^}]*\}/g))];
    const deployed = loadContactFlow(content, {
      substitutions: { RecordDecisionFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:record-decision' },
    });
    // Assess
    expect(properties.Type).toBe('CONTACT_FLOW');
    expect(JSON.stringify(properties.InstanceArn)).toContain(`:instance/${DEV_INSTANCE_ID}`);
    expect(JSON.parse(content)).toEqual(shipped);
    // Every placeholder is filled and nothing else is passed (an unused variable means the flow changed without the stack).
    expect(placeholders.sort()).toEqual(
      Object.keys(variables)
        .map((name) => `\${${name}}`)
        .sort(),
    );
    expect(variables.RecordDecisionFunctionArn).toEqual({ 'Fn::GetAtt': [recordDecisionId, 'Arn'] });
    // No default decision any more (a call nobody acknowledges rings the next level), so nothing speaks one.
    expect(Object.keys(variables)).toEqual(['RecordDecisionFunctionArn']);
    expect(content).not.toContain('OperatorDefaultDecisionSpoken');
    const invocations = deployed.Actions.filter((action) => action.Type === 'InvokeLambdaFunction');
    expect(invocations.length).toBeGreaterThan(0);
    for (const action of invocations) expect(action.Parameters.LambdaFunctionARN).toBe('arn:aws:lambda:eu-west-1:123456789012:function:record-decision');
    expect(content.length).toBeLessThan(256_000);
  });

  it('lets only the Connect instance invoke record-decision, and associates the function with the instance', () => {
    const permissions = resourcesOfType(template(), 'AWS::Lambda::Permission').filter(
      ([, resource]) => resource.Properties?.Principal === 'connect.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    const [permissionId, permission] = permissions[0] as [string, CloudFormationResource];
    const properties = permission.Properties as Record<string, unknown>;
    expect(properties.Action).toBe('lambda:InvokeFunction');
    expect(referencedId(properties.FunctionName)).toBe(recordDecisionId);
    expect(JSON.stringify(properties.SourceArn)).toMatch(new RegExp(`:connect:.*:instance/${DEV_INSTANCE_ID}"`));
    expect(properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
    const associations = resourcesOfType(template(), 'AWS::Connect::IntegrationAssociation');
    expect(associations.map(([, resource]) => [resource.Properties?.IntegrationType, referencedId(resource.Properties?.IntegrationArn)])).toContainEqual([
      'LAMBDA_FUNCTION',
      recordDecisionId,
    ]);
    expect([flow.DependsOn].flat()).toContain(permissionId);
  });

  it('passes the deployed flow id to the inspect function, and record-decision does not depend on the flow', () => {
    const functions = resourcesOfType(template(), 'AWS::Lambda::Function');
    const inspect = functions.find(([, resource]) => String(resource.Properties?.Handler).startsWith('functions/handlers/inspect-image.'));
    const inspectVariables = (inspect?.[1].Properties as Record<string, any>).Environment.Variables;
    expect(evaluate(inspectVariables.CONNECT_CONTACT_FLOW_ID, flowId)).toBe('f1f2f3f4-0000-4000-8000-000000000042');

    const recordDecision = template().Resources[recordDecisionId] as CloudFormationResource;
    const properties = recordDecision.Properties as Record<string, any>;
    expect(JSON.stringify(properties)).not.toContain(flowId);
    // The silence default is gone: record-decision records what the operator pressed, nothing on silence.
    expect(properties.Environment.Variables).not.toHaveProperty('OPERATOR_DEFAULT_DECISION');
    expect(JSON.stringify(template())).not.toMatch(/OPERATOR_DEFAULT_DECISION|operatorDefaultDecision/);
    expect(Number(properties.Timeout)).toBeLessThanOrEqual(8);
  });

  it('gives record-decision its own role that only reads and writes inspection records, keeps labelled images, acknowledges alerts (and its logs), nothing else', () => {
    const properties = (template().Resources[recordDecisionId] as CloudFormationResource).Properties as Record<string, any>;
    const roleId = referencedId(properties.Role) as string;
    const role = template().Resources[roleId] as CloudFormationResource;
    expect(role.Type).toBe('AWS::IAM::Role');
    const statements = (role.Properties as Record<string, any>).Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
    const actions = statements.flatMap((statement: any) => [statement.Action].flat()).sort();
    expect(actions).toEqual(expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:PutObject']));
    // X-Ray trace writing (every function traces; observability-template.test.ts pins that statement) is allowed too.
    expect(actions.filter((action: string) => action.startsWith('xray:'))).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    // ListBucket on the bucket (not its objects) lets S3 answer 404, not 403, for a missing record; the DynamoDB actions
    // acknowledge the alert (below); DeleteObject only under feedback/ (a relabelled wafer's earlier copy). No Connect, no queue.
    const ownActions = ['logs:CreateLogStream', 'logs:PutLogEvents', 's3:GetObject', 's3:PutObject', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    expect(actions.filter((action: string) => !ownActions.includes(action))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      's3:DeleteObject',
      's3:ListBucket',
    ]);
    const deleting = statements.filter((statement: any) => [statement.Action].flat().includes('s3:DeleteObject'));
    expect(deleting.map((statement: any) => statement.Resource)).toEqual([{ 'Fn::Sub': '${ImageBucket.Arn}/feedback/*' }]);
    // The keypress acknowledges: the ladder and the call's items of the alert state table, nothing else in it.
    const acknowledge = statements.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')));
    expect(acknowledge).toEqual([
      {
        Sid: 'AcknowledgeAlerts',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': ['AlertStateTable', 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ladder#*', 'contact#*'] } },
      },
    ]);
    const s3 = statements.find((statement: any) => [statement.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(s3.Resource)).toContain('/inspections/*.json');
    const list = statements.find((statement: any) => [statement.Action].flat().includes('s3:ListBucket'));
    if (list) expect(list.Resource).toEqual({ 'Fn::GetAtt': ['ImageBucket', 'Arn'] });
    const sharedWith = resourcesOfType(template(), 'AWS::Lambda::Function').filter(([, resource]) => referencedId(resource.Properties?.Role) === roleId);
    expect(sharedWith.map(([id]) => id)).toEqual([recordDecisionId]);
  });
});
