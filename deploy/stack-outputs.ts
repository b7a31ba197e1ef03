import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

/** The CloudFormation stack `serverless deploy --stage <stage>` makes (service `waferwatch`). */
export function stackNameOf(stage: string): string {
  return `waferwatch-${stage}`;
}

/** The outputs of stack `stackName` by key; an output with an empty value counts as missing. */
export async function readStackOutputs(cloudFormation: Pick<CloudFormationClient, 'send'>, stackName: string): Promise<Map<string, string>> {
  const response = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  return new Map(
    (response.Stacks?.[0]?.Outputs ?? []).flatMap((output) => (output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue]] : [])),
  );
}
