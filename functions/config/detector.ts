import { z } from 'zod';
import { ConfigurationError, configFragment, optionalUrl } from './environment';

/**
 * A MIME type as InvokeEndpoint's ContentType header takes it (`type/subtype`, optional parameters), e.g.
 * `image/jpeg`, `application/x-image`. SageMaker passes it to the model container unchanged.
 */
const mimeType = z
  .string()
  .regex(/^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/, 'must be a MIME type such as image/jpeg')
  .optional();

/** Which anomaly detector answers, and where its model is. */
export const detectorConfig = configFragment(
  {
    DETECTOR: z.enum(['embedded', 'lookoutvision', 'sagemaker']).default('embedded'),
    /** A file path (relative to the working directory or absolute) or an s3://bucket/key URI of the embedded model. */
    EMBEDDED_MODEL_URI: z.string().min(1).default('models/wafer-default.wwm'),
    LOOKOUT_PROJECT_NAME: z.string().min(1).optional(),
    LOOKOUT_MODEL_VERSION: z.string().min(1).optional(),
    /** Local and test override of the Lookout for Vision endpoint (the emulator); unset in AWS. */
    LOOKOUT_ENDPOINT: optionalUrl,
    /**
     * The SageMaker real-time endpoint InvokeEndpoint calls (its name, not its ARN): 1–63 characters,
     * `^[a-zA-Z0-9](-*[a-zA-Z0-9])*`, as the SageMaker Runtime API reference constrains EndpointName.
     */
    SAGEMAKER_ENDPOINT_NAME: z
      .string()
      .max(63)
      .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, 'must be a SageMaker endpoint name (letters, digits and hyphens, at most 63)')
      .optional(),
    /** Local and test override of the SageMaker Runtime endpoint (the emulator); unset in AWS. */
    SAGEMAKER_RUNTIME_ENDPOINT: optionalUrl,
    /**
     * The ContentType sent with the image. Unset (the default): the image's own type, proven by its bytes
     * (`image/jpeg` or `image/png`), which is what the Marketplace "Computer Vision Defect Detection" model (the
     * migration path AWS gives from Lookout for Vision) takes: AWS's sample notebook sends it the raw image bytes
     * declared `image/jpeg`, and the model answers Lookout's own fields, `{"IsAnomalous", "Confidence"}`. Set it for
     * a container that wants one fixed type for every image (e.g. `application/x-image`).
     */
    SAGEMAKER_CONTENT_TYPE: mimeType,
  },
  (config) => {
    if (config.DETECTOR === 'lookoutvision') {
      for (const name of ['LOOKOUT_PROJECT_NAME', 'LOOKOUT_MODEL_VERSION'] as const) {
        if (!config[name]) throw new ConfigurationError(`${name} environment variable is not set (required when DETECTOR=lookoutvision)`);
      }
    }
    if (config.DETECTOR === 'sagemaker' && !config.SAGEMAKER_ENDPOINT_NAME) {
      throw new ConfigurationError('SAGEMAKER_ENDPOINT_NAME environment variable is not set (required when DETECTOR=sagemaker)');
    }
  },
);
