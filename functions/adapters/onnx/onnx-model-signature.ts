import type { InferenceSession } from 'onnxruntime-node';

/** Thrown at load when a model file is not one the ONNX detector can run; the message says what is wrong. */
export class OnnxModelError extends Error {
  override name = 'OnnxModelError';
}

/** An input size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * What the detector feeds a model and reads back, checked once at load. The names are those of an anomalib export
 * (ExportMixin.to_onnx: input `input`; outputs named after InferenceBatch's fields, those the model produces):
 *
 * - `input`: float32 [N, 3, H, W], RGB. An anomalib >= 2 graph begins with its pre-processor (resize, ImageNet
 *   normalisation), so it takes pixels scaled to [0, 1].
 * - `pred_score`: float32, one value per image: the image's anomaly score after anomalib's PostProcessor,
 *   ((raw − learned threshold) / (max − min of the validation scores)) + 0.5, clamped to [0, 1]: 0.5 is the learned
 *   threshold, and more is more anomalous. Not a calibrated probability.
 * - `anomaly_map`: float32 [N, 1, H, W] (or [N, H, W]): per-pixel scores normalised the same way, 0.5 the learned
 *   pixel threshold, at the model's input resolution.
 * - `pred_label` (bool [N]: pred_score > 0.5) and `pred_mask` (bool, anomaly_map > 0.5): present when the export
 *   kept thresholding on; optional here.
 * - `image_sensitivity` and `pixel_sensitivity` (float32 scalars): inputs anomalib's RFC for deploy-time thresholds
 *   adds; fed when a model declares them.
 */
export interface OnnxModelSignature {
  imageInput: string;
  inputSize: ImageSize;
  /** Extra scalar inputs the graph declares (anomalib's sensitivity knobs), fed with one value each run in their shape. */
  sensitivityInputs: Array<{ name: string; dims: number[] }>;
  predScore: string;
  anomalyMap: string;
  predLabel?: string;
  predMask?: string;
}

/** The image input's name in an anomalib export. */
export const IMAGE_INPUT = 'input';
/** Scalar inputs anomalib's deploy-time sensitivity proposal adds beside the image. */
export const SENSITIVITY_INPUTS = ['image_sensitivity', 'pixel_sensitivity'] as const;

type ValueMetadata = InferenceSession.ValueMetadata;

/**
 * Check a model's declared inputs and outputs against anomalib's export signature and settle its input size (the
 * model's own when fixed, else `configuredSize`, which must agree with a fixed one). Throws OnnxModelError naming what
 * is missing or malformed, so a wrong model is refused at load rather than on the first wafer.
 */
export function readModelSignature(
  inputs: readonly ValueMetadata[],
  outputs: readonly ValueMetadata[],
  configuredSize?: ImageSize,
  modelName?: string,
): OnnxModelSignature {
  const model = modelName ? `The ONNX model ${modelName}` : 'The ONNX model';
  const described = (values: readonly ValueMetadata[]) => values.map((value) => value.name).join(', ') || 'none';
  const image = inputs.find((value) => value.name === IMAGE_INPUT) ?? (inputs.length === 1 ? inputs[0] : undefined);
  if (!image) {
    throw new OnnxModelError(`${model} has no image input named "${IMAGE_INPUT}" (its inputs: ${described(inputs)}); export it with anomalib.`);
  }
  const unknownInputs = inputs.filter((value) => value !== image && !(SENSITIVITY_INPUTS as readonly string[]).includes(value.name));
  if (unknownInputs.length > 0) {
    throw new OnnxModelError(`${model} asks for inputs the detector cannot give: ${described(unknownInputs)} (it feeds "${image.name}" only).`);
  }
  if (!image.isTensor || image.type !== 'float32') {
    throw new OnnxModelError(`${model}'s input "${image.name}" is not a float32 tensor.`);
  }
  const shape = image.shape;
  if (shape.length !== 4 || (typeof shape[1] === 'number' && shape[1] !== 3) || (typeof shape[0] === 'number' && shape[0] !== 1)) {
    throw new OnnxModelError(`${model}'s input "${image.name}" has shape [${shape.join(', ')}]; expected [1, 3, height, width] (RGB, NCHW).`);
  }
  const inputSize = settleInputSize(shape[3], shape[2], configuredSize, model);

  const output = (name: string, required: boolean): string | undefined => {
    const found = outputs.find((value) => value.name === name);
    if (!found) {
      if (required)
        throw new OnnxModelError(`${model} has no "${name}" output (its outputs: ${described(outputs)}); expected anomalib's pred_score and anomaly_map.`);
      return undefined;
    }
    if (!found.isTensor) throw new OnnxModelError(`${model}'s output "${name}" is not a tensor.`);
    return name;
  };
  const predScore = output('pred_score', true)!;
  const anomalyMap = output('anomaly_map', true)!;
  for (const name of [predScore, anomalyMap]) {
    const found = outputs.find((value) => value.name === name) as InferenceSession.TensorValueMetadata;
    if (found.type !== 'float32') throw new OnnxModelError(`${model}'s output "${name}" is ${found.type}, not float32.`);
  }
  const predLabel = output('pred_label', false);
  const predMask = output('pred_mask', false);
  return {
    imageInput: image.name,
    inputSize,
    sensitivityInputs: inputs.filter((value) => value !== image).map((value) => ({ name: value.name, dims: value.isTensor ? value.shape.map(() => 1) : [] })),
    predScore,
    anomalyMap,
    ...(predLabel ? { predLabel } : {}),
    ...(predMask ? { predMask } : {}),
  };
}

function settleInputSize(width: number | string | undefined, height: number | string | undefined, configured: ImageSize | undefined, model: string): ImageSize {
  if (typeof width === 'number' && typeof height === 'number' && width > 0 && height > 0) {
    if (configured && (configured.width !== width || configured.height !== height)) {
      throw new OnnxModelError(
        `ONNX_INPUT_SIZE is ${configured.width}x${configured.height}, but ${model.charAt(0).toLowerCase()}${model.slice(1)}'s input is fixed at ${width}x${height}.`,
      );
    }
    return { width, height };
  }
  if (!configured) {
    throw new OnnxModelError(`${model}'s input size is not fixed (exported without input_size); set ONNX_INPUT_SIZE to the size it was trained at.`);
  }
  return configured;
}
