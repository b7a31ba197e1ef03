import sharp from 'sharp';
import { RestJsonEmulator, type EmulatorResponse, type RouteRequest, type ServiceError } from './rest-json-emulator';

/**
 * Local stand-in for Amazon Lookout for Vision's DetectAnomalies (dev and test only):
 * `POST /2020-11-20/projects/{ProjectName}/models/{ModelVersion}/detect`, raw image body,
 * `Content-Type: image/png | image/jpeg`, answering `{"DetectAnomalyResult": {...}}` with the
 * mask base64-encoded, exactly as @aws-sdk/client-lookoutvision expects on the wire.
 */

/** A verdict as the decision function produces it (Lookout's DetectAnomalyResult; areas are fractions 0–1 like the real service). */
export interface EmulatedDetectAnomalyResult {
  IsAnomalous: boolean;
  Confidence: number;
  Anomalies?: Array<{ Name: string; PixelAnomaly?: { TotalPercentageArea: number; Color: string } }>;
  AnomalyMask?: Uint8Array;
}

/** Decides the verdict for one image. May be async. Throwing makes the emulator answer ValidationException (undecodable image). */
export type DetectionDecision = (image: { bytes: Buffer; contentType: string }) => EmulatedDetectAnomalyResult | Promise<EmulatedDetectAnomalyResult>;

/** The exceptions DetectAnomalies declares, and their HTTP statuses. */
export const LOOKOUT_ERROR_STATUS = {
  AccessDeniedException: 403,
  ConflictException: 409,
  InternalServerException: 500,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 402,
  ThrottlingException: 429,
  ValidationException: 400,
} as const;
export type LookoutErrorType = keyof typeof LOOKOUT_ERROR_STATUS;

export interface LookoutModelState {
  projectName: string;
  modelVersion: string;
  /** A model answers only when HOSTED; otherwise DetectAnomalies gets ConflictException. */
  hosted: boolean;
}

export interface LookoutVisionEmulatorOptions {
  /** Known models; defaults to project `waferwatch`, version `1`, hosted. */
  models?: LookoutModelState[];
  decide?: DetectionDecision;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** The label and colour the default rule reports. */
export const RED_MARK_LABEL = 'red-mark';
export const RED_MARK_COLOR = '#FF0000';
/** Share of red pixels from which the default rule calls a wafer anomalous (0.1 %). */
export const RED_MARK_MIN_FRACTION = 0.001;

/**
 * The default, deterministic rule: a pixel is a "defect" when it is strongly red
 * (R ≥ 200, G ≤ 80, B ≤ 80), the way a person marks a defect on a demo image. The wafer is
 * anomalous when at least 0.1 % of its pixels are red; confidence then grows with the marked
 * area (0.7 + 30 × fraction, at most 0.99), and a clean wafer is normal with confidence 0.95.
 * Anomalous answers carry a segmentation-style `background` + `red-mark` list and a PNG mask
 * (red where marked, black elsewhere), like an image segmentation model.
 */
export async function redMarkDecision(image: { bytes: Buffer }): Promise<EmulatedDetectAnomalyResult> {
  const { data, info } = await sharp(image.bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  const mask = Buffer.alloc(pixels * 3);
  let marked = 0;
  for (let i = 0, p = 0; p < pixels; i += info.channels, p += 1) {
    const red = data[i] ?? 0;
    const green = data[i + 1] ?? 0;
    const blue = data[i + 2] ?? 0;
    if (red >= 200 && green <= 80 && blue <= 80) {
      marked += 1;
      mask[p * 3] = 255;
    }
  }
  const fraction = marked / pixels;
  if (fraction < RED_MARK_MIN_FRACTION) {
    return { IsAnomalous: false, Confidence: 0.95, Anomalies: [{ Name: 'background', PixelAnomaly: { TotalPercentageArea: 1, Color: '#000000' } }] };
  }
  const maskPng = await sharp(mask, { raw: { width: info.width, height: info.height, channels: 3 } })
    .png()
    .toBuffer();
  return {
    IsAnomalous: true,
    Confidence: Math.round(Math.min(0.99, 0.7 + 30 * fraction) * 1e4) / 1e4,
    Anomalies: [
      { Name: 'background', PixelAnomaly: { TotalPercentageArea: 1 - fraction, Color: '#000000' } },
      { Name: RED_MARK_LABEL, PixelAnomaly: { TotalPercentageArea: fraction, Color: RED_MARK_COLOR } },
    ],
    AnomalyMask: maskPng,
  };
}

/** Record of one DetectAnomalies call the emulator answered with a verdict. */
export interface DetectionCall {
  projectName: string;
  modelVersion: string;
  contentType: string;
  sizeBytes: number;
  isAnomalous: boolean;
  confidence: number;
  at: string;
}

/** Emulates the DetectAnomalies operation of Amazon Lookout for Vision. */
export class LookoutVisionEmulator extends RestJsonEmulator {
  private readonly models: LookoutModelState[];
  private decide: DetectionDecision;
  private readonly detections: DetectionCall[] = [];

  constructor(options: LookoutVisionEmulatorOptions = {}) {
    super('com.amazonaws.lookoutvision', { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    this.models = (options.models ?? [{ projectName: 'waferwatch', modelVersion: '1', hosted: true }]).map((model) => ({ ...model }));
    this.decide = options.decide ?? redMarkDecision;
  }

  /** Replace the decision function (e.g. a fixed verdict in a test). */
  setDecision(decide: DetectionDecision): void {
    this.decide = decide;
  }

  /** Start or stop hosting a model version; a stopped model answers ConflictException like the real service. */
  setModelHosted(projectName: string, modelVersion: string, hosted: boolean): void {
    const model = this.models.find((m) => m.projectName === projectName && m.modelVersion === modelVersion);
    if (model) model.hosted = hosted;
    else this.models.push({ projectName, modelVersion, hosted });
  }

  /**
   * Answer the next `count` requests with `errorType` instead of a verdict.
   * ThrottlingException sends `Retry-After: 1` unless `retryAfterSeconds` says otherwise (null omits the header).
   */
  failNext(count: number, errorType: LookoutErrorType, options: { retryAfterSeconds?: number | null; message?: string } = {}): void {
    const retryAfter = options.retryAfterSeconds === undefined ? (errorType === 'ThrottlingException' ? 1 : null) : options.retryAfterSeconds;
    this.enqueueFault(count, {
      kind: 'error',
      error: {
        errorType,
        status: LOOKOUT_ERROR_STATUS[errorType],
        message: options.message ?? defaultMessage(errorType),
        ...(retryAfter !== null ? { headers: { 'retry-after': String(retryAfter) } } : {}),
      },
    });
  }

  /** Verdicts given so far, newest first. */
  detectionCalls(): DetectionCall[] {
    return [...this.detections].reverse();
  }

  protected async route(request: RouteRequest): Promise<EmulatorResponse> {
    const [version, projects, projectName, models, modelVersion, action, ...rest] = request.segments;
    const isDetect =
      request.method === 'POST' && version === '2020-11-20' && projects === 'projects' && models === 'models' && action === 'detect' && rest.length === 0;
    if (!isDetect || !projectName || !modelVersion) {
      return error('UnknownOperationException', 404, `No operation at ${request.method} ${request.path}`);
    }
    const invalidName = validationProblem(projectName, modelVersion);
    if (invalidName) return error('ValidationException', 400, invalidName);
    const contentType =
      String(request.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim()
        .toLowerCase() ?? '';
    if (contentType !== 'image/png' && contentType !== 'image/jpeg') {
      return error('ValidationException', 400, `Unsupported ContentType ${JSON.stringify(contentType)}: valid values are image/png and image/jpeg`);
    }
    if (request.body.byteLength === 0) return error('ValidationException', 400, 'Body must not be empty');
    // The body must be an image of the declared type: DetectAnomalies takes PNG or JPEG only, whatever else the bytes are.
    const actual = imageFormatOf(request.body);
    if (actual === undefined)
      return error('ValidationException', 400, `The image format is not supported: ${contentType} was declared, the bytes are neither PNG nor JPEG`);
    if (actual !== contentType)
      return error('ValidationException', 400, `The image does not match its ContentType: ${contentType} was declared, the bytes are ${actual}`);

    const projectModels = this.models.filter((m) => m.projectName === projectName);
    if (projectModels.length === 0) {
      return error('ResourceNotFoundException', 404, `Project ${projectName} not found`, { ResourceId: projectName, ResourceType: 'PROJECT' });
    }
    const model =
      modelVersion === 'latest'
        ? projectModels.reduce((a, b) => (Number(b.modelVersion) > Number(a.modelVersion) ? b : a))
        : projectModels.find((m) => m.modelVersion === modelVersion);
    if (!model) {
      return error('ResourceNotFoundException', 404, `Model version ${modelVersion} not found`, { ResourceId: modelVersion, ResourceType: 'MODEL' });
    }
    if (!model.hosted) {
      return error('ConflictException', 409, `Model version ${model.modelVersion} of project ${projectName} is not hosted; start it with StartModel`, {
        ResourceId: model.modelVersion,
        ResourceType: 'MODEL',
      });
    }

    let verdict: EmulatedDetectAnomalyResult;
    try {
      verdict = await this.decide({ bytes: request.body, contentType });
    } catch {
      return error('ValidationException', 400, 'The image could not be decoded');
    }
    this.detections.push({
      projectName,
      modelVersion: model.modelVersion,
      contentType,
      sizeBytes: request.body.byteLength,
      isAnomalous: verdict.IsAnomalous,
      confidence: verdict.Confidence,
      at: new Date().toISOString(),
    });
    return {
      kind: 'json',
      status: 200,
      body: {
        DetectAnomalyResult: {
          Source: { Type: 'direct' },
          IsAnomalous: verdict.IsAnomalous,
          Confidence: verdict.Confidence,
          ...(verdict.Anomalies ? { Anomalies: verdict.Anomalies } : {}),
          ...(verdict.AnomalyMask ? { AnomalyMask: Buffer.from(verdict.AnomalyMask).toString('base64') } : {}),
        },
      },
    };
  }
}

/**
 * DetectAnomalies' URI parameters as the API reference constrains them: projectName 1–255 characters matching
 * `[a-zA-Z0-9][a-zA-Z0-9_\-]*`, modelVersion 1–10 characters matching `([1-9][0-9]*|latest)`. The message is the one
 * AWS services give for a constraint violation (ValidationException).
 */
export function validationProblem(projectName: string, modelVersion: string): string | undefined {
  const problems: string[] = [];
  if (projectName.length < 1 || projectName.length > 255) {
    problems.push(`Value '${projectName}' at 'projectName' failed to satisfy constraint: Member must have length between 1 and 255`);
  } else if (!PROJECT_NAME.test(projectName)) {
    problems.push(
      `Value '${projectName}' at 'projectName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\\-]*`,
    );
  }
  if (modelVersion.length < 1 || modelVersion.length > 10) {
    problems.push(`Value '${modelVersion}' at 'modelVersion' failed to satisfy constraint: Member must have length between 1 and 10`);
  } else if (!MODEL_VERSION.test(modelVersion)) {
    problems.push(
      `Value '${modelVersion}' at 'modelVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: ([1-9][0-9]*|latest)`,
    );
  }
  if (problems.length === 0) return undefined;
  return `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`;
}

const PROJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const MODEL_VERSION = /^(?:[1-9][0-9]*|latest)$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image type the bytes are, by their signature (`image/png`, `image/jpeg`), or undefined for anything else. */
export function imageFormatOf(bytes: Uint8Array): 'image/png' | 'image/jpeg' | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length >= PNG_SIGNATURE.length && buffer.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return 'image/png';
  // JPEG: SOI (FF D8) followed by a marker (FF ..).
  if (buffer.length >= 3 && buffer[0] === 0xff && buffer[1] === 0xd8 && buffer[2] === 0xff) return 'image/jpeg';
  return undefined;
}

function error(errorType: string, status: number, message: string, fields?: Record<string, unknown>): EmulatorResponse {
  const serviceError: ServiceError = { errorType, status, message, ...(fields ? { fields } : {}) };
  return { kind: 'error', error: serviceError };
}

function defaultMessage(errorType: LookoutErrorType): string {
  switch (errorType) {
    case 'ThrottlingException':
      return 'Rate exceeded';
    case 'ConflictException':
      return 'Model is not hosted';
    case 'ResourceNotFoundException':
      return 'Resource not found';
    case 'InternalServerException':
      return 'Internal server error';
    case 'ServiceQuotaExceededException':
      return 'Service quota exceeded';
    case 'AccessDeniedException':
      return 'User is not authorized to perform: lookoutvision:DetectAnomalies on resource arn:aws:lookoutvision:us-east-1:123456789012:model/waferwatch/1';
    case 'ValidationException':
      return 'Invalid input';
  }
}
