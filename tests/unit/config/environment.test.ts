import { describe, expect, it } from 'vitest';
import { alertQueueConfig } from '../../../functions/config/alert-queue';
import { alertStateConfig } from '../../../functions/config/alert-state';
import { ConfigurationError, configFragment, parseEnvironment, requiredText, variablesOf } from '../../../functions/config/environment';
import { imageBucketConfig } from '../../../functions/config/image-bucket';
import { regionConfig } from '../../../functions/config/region';

describe('parseEnvironment', () => {
  it('parses the fragments it is given, together, with their defaults', () => {
    // Act
    const config = parseEnvironment([regionConfig, imageBucketConfig], { IMAGE_BUCKET: 'waferwatch-images' });

    // Assess
    expect(config).toEqual({ AWS_REGION: 'us-east-1', IMAGE_BUCKET: 'waferwatch-images' });
  });

  it('reads no variable its fragments do not name', () => {
    // Act
    const config = parseEnvironment([imageBucketConfig], { IMAGE_BUCKET: 'waferwatch-images', OPERATOR_PHONE_NUMBER: 'not a number', ALERT_QUEUE_URL: 'nope' });

    // Assess
    expect(config).toEqual({ IMAGE_BUCKET: 'waferwatch-images' });
  });

  it('names every missing or malformed variable in one ConfigurationError', () => {
    // Act
    const parse = () => parseEnvironment([imageBucketConfig, alertQueueConfig, alertStateConfig], { SQS_ENDPOINT: 'not a url' });

    // Assess
    expect(parse).toThrow(ConfigurationError);
    expect(parse).toThrow(/^Invalid configuration: /);
    expect(parse).toThrow(/IMAGE_BUCKET environment variable is not set/);
    expect(parse).toThrow(/ALERT_QUEUE_URL environment variable is not set/);
    expect(parse).toThrow(/ALERT_STATE_TABLE environment variable is not set/);
    expect(parse).toThrow(/SQS_ENDPOINT: /);
  });

  it("runs each fragment's rules once its variables parsed", () => {
    // Prepare
    const pair = configFragment({ LOW: requiredText('LOW'), HIGH: requiredText('HIGH') }, (config) => {
      if (config.LOW > config.HIGH) throw new ConfigurationError('LOW must not be above HIGH');
    });

    // Act + Assess
    expect(() => parseEnvironment([pair], { LOW: 'b', HIGH: 'a' })).toThrow(/LOW must not be above HIGH/);
    expect(parseEnvironment([pair], { LOW: 'a', HIGH: 'b' })).toEqual({ LOW: 'a', HIGH: 'b' });
  });
});

describe('variablesOf', () => {
  it('lists the variables a list of fragments reads, each once', () => {
    // Act + Assess
    expect(variablesOf([regionConfig, imageBucketConfig, alertStateConfig, alertStateConfig])).toEqual([
      'AWS_REGION',
      'IMAGE_BUCKET',
      'S3_ENDPOINT',
      'ALERT_STATE_TABLE',
      'DYNAMODB_ENDPOINT',
    ]);
  });
});
