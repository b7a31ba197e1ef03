import onnxProto from 'onnx-proto';

/*
 * A tiny ONNX model with the signature of an anomalib export (anomalib >= 2: pre- and post-processing inside the
 * graph, AnomalibModule.forward = pre_processor -> model -> post_processor, exported by ExportMixin.to_onnx with the
 * input named `input` and the outputs named after InferenceBatch's fields): input `input` float32 [1, 3, H, W] (RGB in
 * [0, 1]), outputs `pred_score` [1], `anomaly_map` [1, 1, H, W], and, like an export with thresholding on,
 * `pred_label` [1] and `pred_mask` [1, 1, H, W] (booleans). Scores are on anomalib's normalised scale: 0.5 is the
 * decision boundary.
 *
 * Its "anomaly model" is what a test can reason about: a pixel's distance from the normal wafer colour,
 * d = mean over channels of |x − reference|; anomaly_map = sigmoid(k·(d − t)); pred_score = sigmoid(k·(max(d) − t)).
 * A plain grey wafer of the reference colour scores near 0, one with a red mark near 1, and the map lights up where
 * the mark is.
 *
 * Encoded with onnx-proto (onnx.proto of ONNX 1.10 compiled by protobufjs, IR version 8), opset 13 (ReduceMean and
 * ReduceMax still take `axes` as an attribute there). A few kilobytes; built in memory by each test, never shipped.
 */
const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const BOOL = onnx.TensorProto.DataType.BOOL;

export interface AnomalibLikeModelOptions {
  /** The input's height and width; 'dynamic' leaves them symbolic (as an export without input_size does). Default 64. */
  inputSize?: number | 'dynamic';
  /** The normal wafer's colour, RGB 0–255. Default: makeTestWaferImage's grey (90, 90, 100). */
  normalRgb?: [number, number, number];
  /** Distance (0–1) at which a pixel is half anomalous, and the logistic's steepness. Defaults 0.2 and 30. */
  distanceThreshold?: number;
  steepness?: number;
  /** Which outputs the graph exposes, under which names. Default: the four anomalib names. */
  outputs?: Partial<Record<'pred_score' | 'anomaly_map' | 'pred_label' | 'pred_mask', string | false>>;
  /** The image input's name. Default `input`. */
  inputName?: string;
  /** An extra graph input (a model the detector cannot feed). */
  extraInput?: string;
}

/** The bytes of an .onnx file with anomalib's export signature (see the file comment). */
export function anomalibLikeModel(options: AnomalibLikeModelOptions = {}): Uint8Array {
  const size = options.inputSize ?? 64;
  const [r, g, b] = options.normalRgb ?? [90, 90, 100];
  const names = { pred_score: 'pred_score', anomaly_map: 'anomaly_map', pred_label: 'pred_label', pred_mask: 'pred_mask', ...options.outputs };
  const inputName = options.inputName ?? 'input';
  const height = size === 'dynamic' ? { dimParam: 'height' } : { dimValue: size };
  const width = size === 'dynamic' ? { dimParam: 'width' } : { dimValue: size };

  const nodes: onnxProto.onnx.INodeProto[] = [
    node('Sub', [inputName, 'reference'], ['difference']),
    node('Abs', ['difference'], ['absolute']),
    node('ReduceMean', ['absolute'], ['distance'], [ints('axes', [1]), int('keepdims', 1)]),
    node('Sub', ['distance', 'threshold'], ['map_centred']),
    node('Mul', ['map_centred', 'steepness'], ['map_logit']),
    node('Sigmoid', ['map_logit'], [names.anomaly_map || 'anomaly_map_hidden']),
    node('ReduceMax', ['distance'], ['max_distance'], [ints('axes', [1, 2, 3]), int('keepdims', 0)]),
    node('Sub', ['max_distance', 'threshold'], ['score_centred']),
    node('Mul', ['score_centred', 'steepness'], ['score_logit']),
    node('Sigmoid', ['score_logit'], [names.pred_score || 'pred_score_hidden']),
  ];
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  if (names.pred_score) outputs.push(valueInfo(names.pred_score, FLOAT, [{ dimValue: 1 }]));
  if (names.anomaly_map) outputs.push(valueInfo(names.anomaly_map, FLOAT, [{ dimValue: 1 }, { dimValue: 1 }, height, width]));
  if (names.pred_label) {
    nodes.push(node('Greater', [names.pred_score || 'pred_score_hidden', 'half'], [names.pred_label]));
    outputs.push(valueInfo(names.pred_label, BOOL, [{ dimValue: 1 }]));
  }
  if (names.pred_mask) {
    nodes.push(node('Greater', [names.anomaly_map || 'anomaly_map_hidden', 'half'], [names.pred_mask]));
    outputs.push(valueInfo(names.pred_mask, BOOL, [{ dimValue: 1 }, { dimValue: 1 }, height, width]));
  }
  const inputs = [valueInfo(inputName, FLOAT, [{ dimValue: 1 }, { dimValue: 3 }, height, width])];
  if (options.extraInput) inputs.push(valueInfo(options.extraInput, FLOAT, [{ dimValue: 1 }]));

  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'waferwatch-tests',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'anomalib_like',
      node: nodes,
      input: inputs,
      output: outputs,
      initializer: [
        tensor('reference', [1, 3, 1, 1], [r / 255, g / 255, b / 255]),
        tensor('threshold', [], [options.distanceThreshold ?? 0.2]),
        tensor('steepness', [], [options.steepness ?? 30]),
        tensor('half', [], [0.5]),
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

function node(opType: string, input: string[], output: string[], attribute: onnxProto.onnx.IAttributeProto[] = []): onnxProto.onnx.INodeProto {
  return { opType, input, output, attribute, name: `${opType}_${output[0]}` };
}

function ints(name: string, values: number[]): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

function int(name: string, value: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function tensor(name: string, dims: number[], values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, floatData: values };
}

function valueInfo(name: string, elemType: number, dim: onnxProto.onnx.TensorShapeProto.IDimension[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}
