import * as z from 'zod';
import { ConfigurationError, configFragment, optionalUrl } from './environment';

/**
 * A MIME type as InvokeEndpoint's ContentType header takes it (`type/subtype`, optional parameters), e.g.
 * `image/jpeg`, `application/x-image`. SageMaker passes it to the model container unchanged.
 */
const mimeType = z
  .string()
  .regex(/^[\w.+-]+\/[\w.+-]+(?:\s*;.*)?$/, 'must be a MIME type such as image/jpeg')
  .optional();

/**
 * ONNX_INPUT_SIZE: `<side>` (a square input, e.g. `256`) or `<width>x<height>` (e.g. `320x256`), in pixels.
 * Unset: read from the model's input shape.
 */
const inputSize = z
  .string()
  .regex(/^\d{1,4}(?:x\d{1,4})?$/, 'must be a side such as 256, or <width>x<height> such as 320x256')
  .transform((value) => {
    const [width, height = width] = value.split('x').map(Number) as [number, number?];
    return { width, height };
  })
  .refine((size) => size.width > 0 && size.height > 0, 'must not be 0')
  .optional();

/** Which anomaly detector answers, and where its model is. */
export const detectorConfig = configFragment(
  {
    DETECTOR: z.enum(['embedded', 'lookoutvision', 'sagemaker', 'onnx']).default('embedded'),
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
    /**
     * DETECTOR=onnx: the anomalib-exported .onnx model, a file path (relative to the working directory, /var/task in
     * Lambda, or absolute) or an s3://bucket/key URI, read as EMBEDDED_MODEL_URI is.
     */
    ONNX_MODEL_URI: z.string().min(1).optional(),
    /** The model file's sha256 (64 hex digits); when set, a model whose bytes do not match is refused at load. */
    ONNX_MODEL_SHA256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be a sha256 in hex (64 digits)')
      .transform((value) => value.toLowerCase())
      .optional(),
    /**
     * The pred_score at or above which a wafer is anomalous. anomalib's exported post-processor normalises the score
     * so that its learned (F1-adaptive) threshold sits at 0.5, hence the default; raise it for fewer false calls.
     */
    ONNX_THRESHOLD: z.coerce.number().gt(0).max(1).default(0.5),
    /** The model's input size when its input shape leaves it open (see inputSize); must match a fixed one. */
    ONNX_INPUT_SIZE: inputSize,
    /**
     * How pixels become the input tensor. `none` (default): RGB scaled to [0, 1], what an anomalib >= 2 export takes,
     * since its graph starts with the model's own pre-processor (resize and ImageNet normalisation:
     * AnomalibModule.forward runs pre_processor -> model -> post_processor and ExportMixin.to_onnx traces all of it).
     * `imagenet`: also subtract the ImageNet mean and divide by its standard deviation, for a graph exported without
     * its pre-processor (a bare torch model).
     */
    ONNX_INPUT_NORMALIZATION: z.enum(['none', 'imagenet']).default('none'),
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
    if (config.DETECTOR === 'onnx' && !config.ONNX_MODEL_URI) {
      throw new ConfigurationError('ONNX_MODEL_URI environment variable is not set (required when DETECTOR=onnx)');
    }
  },
);
