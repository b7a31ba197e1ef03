import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SageMakerRuntimeEmulator } from '../../../local/emulators/sagemaker-runtime-emulator';
import { makeTestWaferImage } from '../../helpers/test-wafer-images';

// An independent client on the wire: boto3 parses the emulator's answers with botocore's own rest-json parser and
// its own copy of the SageMaker Runtime service model, so a shape the JS SDK happens to tolerate would show here.
const run = promisify(execFile);

function boto3Version(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// `.ci/run` installs python3-boto3, as for the other emulators' boto3 tests; without it these tests fail, saying so.
const version = boto3Version();

/** Invoke the endpoint with boto3 (no retries) and print what it parsed, an answer or an error, as JSON. */
const SCRIPT = `
import base64, json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
endpoint_url, endpoint_name, content_type, body_b64 = sys.argv[1:5]
client = boto3.client('sagemaker-runtime', region_name='eu-west-1', endpoint_url=endpoint_url,
                      aws_access_key_id='local', aws_secret_access_key='local',
                      config=Config(retries={'max_attempts': 1, 'mode': 'standard'}))
try:
    response = client.invoke_endpoint(EndpointName=endpoint_name, ContentType=content_type, Accept='application/json',
                                      Body=base64.b64decode(body_b64))
    print(json.dumps({'ContentType': response['ContentType'], 'InvokedProductionVariant': response['InvokedProductionVariant'],
                      'Body': json.loads(response['Body'].read())}))
except ClientError as error:
    print(json.dumps({'Code': error.response['Error']['Code'], 'Message': error.response['Error']['Message'],
                      'Status': error.response['ResponseMetadata']['HTTPStatusCode'],
                      'OriginalStatusCode': error.response.get('OriginalStatusCode'),
                      'LogStreamArn': error.response.get('LogStreamArn')}))
`;

describe('SageMaker Runtime emulator through boto3 invoke_endpoint', () => {
  it('has python3 with boto3 to run (apt-get install python3-boto3, or pip install boto3)', () => {
    expect(version).toBeDefined();
  });

  const emulator = new SageMakerRuntimeEmulator({
    endpoints: [{ name: 'wafer-defects', variant: 'AllTraffic' }],
    accountId: '210987654321',
    region: 'eu-west-1',
  });

  beforeAll(async () => {
    await emulator.start();
  });

  afterAll(async () => {
    await emulator.close();
  });

  async function invoke(endpointName: string, bytes: Buffer, contentType = 'image/png'): Promise<Record<string, unknown>> {
    const { stdout } = await run('python3', ['-c', SCRIPT, emulator.endpoint, endpointName, contentType, bytes.toString('base64')], {
      env: { PATH: process.env.PATH, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 20_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  it('answers invoke_endpoint with the model output, its content type and the variant, parsed by botocore', async () => {
    // Prepare
    const image = await makeTestWaferImage({ width: 100, height: 100, redMarkSide: 5 });

    // Act
    const answer = await invoke('wafer-defects', image.bytes);

    // Assess
    expect(answer).toMatchObject({ ContentType: 'application/json', InvokedProductionVariant: 'AllTraffic' });
    expect(answer.Body).toMatchObject({ Source: { Type: 'direct' }, IsAnomalous: true, Confidence: 0.775 });
    expect(typeof (answer.Body as { AnomalyMask?: unknown }).AnomalyMask).toBe('string');
    expect(emulator.requests().at(-1)?.headers['content-type']).toBe('image/png');
  });

  it('gives botocore ValidationError for an unknown endpoint and ModelError with its members', async () => {
    // Prepare
    const image = await makeTestWaferImage();
    emulator.modelErrorNext(1, 500, 'boom');

    // Act
    const modelError = await invoke('wafer-defects', image.bytes);
    const unknown = await invoke('no-such-endpoint', image.bytes);

    // Assess
    expect(modelError).toMatchObject({
      Code: 'ModelError',
      Status: 424,
      OriginalStatusCode: 500,
      LogStreamArn: 'arn:aws:logs:eu-west-1:210987654321:log-group:/aws/sagemaker/Endpoints/wafer-defects',
    });
    expect(modelError.Message).toMatch(/^Received server error \(500\) from primary with message "boom"/);
    expect(unknown).toMatchObject({ Code: 'ValidationError', Status: 400, Message: 'Endpoint no-such-endpoint of account 210987654321 not found.' });
  });
});
