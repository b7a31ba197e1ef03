import { beforeAll, describe, expect, it } from 'vitest';
import { cloudFormationSpec, validateTemplate } from '../helpers/cloudformation-spec';
import { usePackagedTemplate } from '../helpers/packaged-template';

// The validator itself, on small templates: tests/unit/template/cloudformation-spec.test.ts.

const template = usePackagedTemplate();

beforeAll(() => {
  cloudFormationSpec();
});

describe('the packaged template against the CloudFormation resource specification (@aws-cdk/aws-service-spec)', () => {
  it('uses only resource types, properties, attributes and values the specification knows, with every required property', () => {
    // Act
    const problems = validateTemplate(template());

    // Assess
    expect(problems).toEqual([]);
  });

  it('checks every resource: none is a custom resource skipped for want of a specification', () => {
    // Act
    const types = new Set(Object.values(template().Resources).map((resource) => resource.Type));

    // Assess
    expect(types.size).toBeGreaterThan(15);
    for (const type of types) {
      expect(type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource', type).toBe(false);
      expect(cloudFormationSpec().lookup('resource', 'cloudFormationType', 'equals', type), type).toHaveLength(1);
    }
  });

  it('fails the packaged template with one property misspelt, naming it and the property meant', () => {
    // Prepare
    const misspelt = structuredClone(template());
    const queue = misspelt.Resources.AlertQueue?.Properties as Record<string, unknown>;
    queue.VisibilityTimout = queue.VisibilityTimeout;
    delete queue.VisibilityTimeout;

    // Act
    const problems = validateTemplate(misspelt);

    // Assess
    expect(problems).toEqual([
      {
        path: 'Resources.AlertQueue.Properties.VisibilityTimout',
        message: 'AWS::SQS::Queue has no property VisibilityTimout (did you mean VisibilityTimeout?)',
      },
    ]);
  });
});
