import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { commonConfig, SAGEMAKER_RUNTIME_REQUEST_TIMEOUT_MS, type AwsClientOptions } from '../aws-clients';

/** SageMaker Runtime client for InvokeEndpoint (a module of its own: loaded only where a SageMaker detector is used). */
export function createSageMakerRuntimeClient(options: AwsClientOptions): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient(commonConfig(options, SAGEMAKER_RUNTIME_REQUEST_TIMEOUT_MS));
}
