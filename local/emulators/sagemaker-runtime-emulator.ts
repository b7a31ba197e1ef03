import { checkWaferImage } from '../../functions/core/validate-wafer-image';
import type { Detector } from '../../functions/core/ports/detector';
import { redMarkDecision } from './lookout-vision-emulator';
import { RestJsonEmulator, type EmulatorResponse, type RouteRequest, type ServiceError } from './rest-json-emulator';

/**
 * Local stand-in for the Amazon SageMaker Runtime API's InvokeEndpoint (dev and test only), at the protocol level the
 * SDKs speak (restJson1, as @aws-sdk/client-sagemaker-runtime's schema declares it):
 *
 * - `POST /endpoints/{EndpointName}/invocations`, the request body the raw payload (here the image bytes), its type
 *   in `Content-Type`, the wanted answer type in `Accept`;
 * - `200`: the body is the model container's raw output, with its `Content-Type` and the
 *   `x-Amzn-Invoked-Production-Variant` header naming the variant that answered;
 * - errors: an HTTP status, `x-amzn-ErrorType: <name>:<url>` and a JSON body with the shape's members:
 *   ValidationError 400 (an unknown endpoint: "Endpoint <name> of account <id> not found."; a malformed
 *   EndpointName), ModelError 424 (the container answered 4xx/5xx: `Message`, `OriginalStatusCode`, `OriginalMessage`,
 *   `LogStreamArn`), ModelNotReadyException 429, ServiceUnavailable 503, InternalFailure 500,
 *   InternalDependencyException 530, and the common ThrottlingException, which SageMaker answers with HTTP 400
 *   (SageMaker API reference, Common Errors), and AccessDeniedException (400).
 *
 * The "model" is a `judge(bytes, contentType)` function; by default the Lookout emulator's red-mark rule, answered as
 * the Marketplace "Computer Vision Defect Detection" model answers: `{"Source": {"Type": "direct"}, "IsAnomalous":
 * true, "Confidence": 0.93}`, plus Lookout's segmentation fields (`Anomalies`, base64 `AnomalyMask`) when it has them.
 */

/** What the emulated model decides about one payload. Areas are fractions (0–1), as Lookout and the Marketplace model give them. */
export interface EmulatedModelAnswer {
  IsAnomalous: boolean;
  Confidence: number;
  Anomalies?: Array<{ Name: string; PixelAnomaly?: { TotalPercentageArea: number; Color: string } }>;
  /** A PNG mask; sent base64-encoded as `AnomalyMask`. */
  mask?: Uint8Array;
}

/**
 * The model. May be async. Throwing makes the container fail the request: ModelError with OriginalStatusCode 400 (a
 * payload it cannot read), the thrown message as OriginalMessage.
 */
export type ModelJudge = (bytes: Buffer, contentType: string) => EmulatedModelAnswer | Promise<EmulatedModelAnswer>;

/** The exceptions InvokeEndpoint answers, and their HTTP statuses. */
export const SAGEMAKER_RUNTIME_ERROR_STATUS = {
  ValidationError: 400,
  ThrottlingException: 400,
  AccessDeniedException: 400,
  ModelError: 424,
  ModelNotReadyException: 429,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  InternalDependencyException: 530,
} as const;
export type SageMakerRuntimeErrorType = keyof typeof SAGEMAKER_RUNTIME_ERROR_STATUS;

export interface EmulatedEndpoint {
  name: string;
  /** The production variant that answers; default `AllTraffic` (what the SageMaker Python SDK's deploy() names it). */
  variant?: string;
  /** False answers ModelNotReadyException, as a serverless variant still provisioning does; default true. */
  ready?: boolean;
}

export interface SageMakerRuntimeEmulatorOptions {
  /** Known endpoints; default one, `waferwatch-defects`. */
  endpoints?: EmulatedEndpoint[];
  judge?: ModelJudge;
  /** Answer `{"DetectAnomalyResult": {...}}` (DetectAnomalies' nesting) instead of the Marketplace model's flat object. */
  nested?: boolean;
  /** Named in the errors' messages, as the real service names the caller's account. */
  accountId?: string;
  region?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

/** One InvokeEndpoint the emulator answered with the model's output. */
export interface InvocationRecord {
  endpointName: string;
  variant: string;
  contentType: string;
  accept: string | undefined;
  sizeBytes: number;
  at: string;
}

export const DEFAULT_ENDPOINT_NAME = 'waferwatch-defects';
const DEFAULT_VARIANT = 'AllTraffic';
/** InvokeEndpoint's EndpointName constraint (API reference): at most 63 characters of this pattern. */
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/** The default model: the Lookout emulator's deterministic red-mark rule (strongly red pixels are "defects"). */
export async function redMarkJudge(bytes: Buffer): Promise<EmulatedModelAnswer> {
  const { AnomalyMask, ...verdict } = await redMarkDecision({ bytes });
  return { ...verdict, ...(AnomalyMask ? { mask: AnomalyMask } : {}) };
}

/**
 * A model made of one of the product's own detectors (e.g. the embedded one with the shipped model), so the local
 * stack's SageMaker path gives real verdicts. The payload must be a wafer image the detector accepts.
 */
export function detectorJudge(detector: Detector): ModelJudge {
  return async (bytes) => {
    const image = checkWaferImage(bytes, { maxBytes: 16 * 1024 * 1024, minSide: 1, maxSide: 8192 });
    const prepared = detector.prepare ? await detector.prepare(image) : undefined;
    const result = await detector.detect(image, prepared);
    return {
      IsAnomalous: result.IsAnomalous,
      Confidence: result.Confidence,
      // DetectionResult areas are percentages; the model answers fractions, as Lookout did.
      Anomalies: result.Anomalies.map((anomaly) =>
        anomaly.PixelAnomaly
          ? { Name: anomaly.Name, PixelAnomaly: { TotalPercentageArea: anomaly.PixelAnomaly.TotalPercentageArea / 100, Color: anomaly.PixelAnomaly.Color } }
          : { Name: anomaly.Name },
      ),
      ...(result.AnomalyMask ? { mask: result.AnomalyMask } : {}),
    } satisfies EmulatedModelAnswer;
  };
}

/** Emulates InvokeEndpoint of the Amazon SageMaker Runtime API. */
export class SageMakerRuntimeEmulator extends RestJsonEmulator {
  private readonly endpoints: Map<string, Required<EmulatedEndpoint>>;
  private judge: ModelJudge;
  private readonly nested: boolean;
  private readonly accountId: string;
  private readonly region: string;
  private readonly invocationLog: InvocationRecord[] = [];
  private readonly rawAnswers: unknown[] = [];

  constructor(options: SageMakerRuntimeEmulatorOptions = {}) {
    super('com.amazonaws.sagemakerruntime', { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    this.endpoints = new Map();
    for (const endpoint of options.endpoints ?? [{ name: DEFAULT_ENDPOINT_NAME }]) this.addEndpoint(endpoint);
    this.judge = options.judge ?? redMarkJudge;
    this.nested = options.nested ?? false;
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
  }

  /** Replace the model (e.g. a fixed verdict in a test). */
  setJudge(judge: ModelJudge): void {
    this.judge = judge;
  }

  /** Create (or replace) an endpoint. */
  addEndpoint(endpoint: EmulatedEndpoint): void {
    this.endpoints.set(endpoint.name, { variant: DEFAULT_VARIANT, ready: true, ...endpoint });
  }

  /** Delete an endpoint: InvokeEndpoint then answers ValidationError "Endpoint ... not found.", like the real service. */
  removeEndpoint(name: string): void {
    this.endpoints.delete(name);
  }

  /** A not-ready endpoint answers ModelNotReadyException (429). */
  setEndpointReady(name: string, ready: boolean): void {
    const endpoint = this.endpoints.get(name);
    if (endpoint) endpoint.ready = ready;
  }

  /**
   * Answer the next `count` requests with `errorType` instead of the model's output. `retryAfterSeconds` adds a
   * Retry-After header (the real service sends none for throttling); ModelError carries `originalStatusCode`
   * (default 500) and `originalMessage`.
   */
  failNext(
    count: number,
    errorType: SageMakerRuntimeErrorType,
    options: { retryAfterSeconds?: number; message?: string; originalStatusCode?: number; originalMessage?: string; endpointName?: string } = {},
  ): void {
    const endpointName = options.endpointName ?? this.endpoints.keys().next().value ?? DEFAULT_ENDPOINT_NAME;
    const error: ServiceError =
      errorType === 'ModelError'
        ? this.modelError(endpointName, options.originalStatusCode ?? 500, options.originalMessage ?? 'Internal Server Error')
        : { errorType, status: SAGEMAKER_RUNTIME_ERROR_STATUS[errorType], message: this.defaultMessage(errorType, endpointName) };
    if (options.message) error.message = options.message;
    this.enqueueFault(count, {
      kind: 'error',
      error: { ...error, ...(options.retryAfterSeconds !== undefined ? { headers: { 'retry-after': String(options.retryAfterSeconds) } } : {}) },
    });
  }

  /** Throttle the next `count` requests (ThrottlingException, HTTP 400, as SageMaker answers it). */
  throttleNext(count: number, options: { retryAfterSeconds?: number } = {}): void {
    this.failNext(count, 'ThrottlingException', options);
  }

  /** Make the model container fail the next `count` requests with `originalStatusCode` (ModelError, 424). */
  modelErrorNext(count: number, originalStatusCode = 500, originalMessage = 'Internal Server Error'): void {
    this.failNext(count, 'ModelError', { originalStatusCode, originalMessage });
  }

  /**
   * Answer the next `count` invocations (of a known, ready endpoint) with `body` as the model's JSON output, whatever
   * it is: a model whose answer is not the expected shape.
   */
  answerNext(count: number, body: unknown): void {
    for (let i = 0; i < count; i += 1) this.rawAnswers.push(body);
  }

  /** Invocations the model answered, newest first. */
  invocations(): InvocationRecord[] {
    return [...this.invocationLog].reverse();
  }

  protected async route(request: RouteRequest): Promise<EmulatorResponse> {
    const [endpoints, endpointName, action, ...rest] = request.segments;
    if (request.method !== 'POST' || endpoints !== 'endpoints' || action !== 'invocations' || rest.length > 0 || endpointName === undefined) {
      return error('UnknownOperationException', 404, `No operation at ${request.method} ${request.path}`);
    }
    if (endpointName.length > 63 || !ENDPOINT_NAME.test(endpointName)) {
      return error(
        'ValidationError',
        400,
        `1 validation error detected: Value '${endpointName}' at 'endpointName' failed to satisfy constraint: ` +
          (endpointName.length > 63
            ? 'Member must have length less than or equal to 63'
            : 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*'),
      );
    }
    const endpoint = this.endpoints.get(endpointName);
    if (!endpoint) return error('ValidationError', 400, `Endpoint ${endpointName} of account ${this.accountId} not found.`);
    if (!endpoint.ready) {
      return error('ModelNotReadyException', 429, `Model for endpoint ${endpointName} is not ready yet; wait and try your request again.`);
    }
    const contentType = headerText(request.headers['content-type']) ?? 'application/octet-stream';
    let output: unknown;
    try {
      output = this.rawAnswers.length > 0 ? this.rawAnswers.shift() : this.toWire(await this.judge(request.body, contentType));
    } catch (thrown) {
      return { kind: 'error', error: this.modelError(endpointName, 400, thrown instanceof Error ? thrown.message : String(thrown)) };
    }
    this.invocationLog.push({
      endpointName,
      variant: endpoint.variant,
      contentType,
      accept: headerText(request.headers.accept),
      sizeBytes: request.body.byteLength,
      at: new Date().toISOString(),
    });
    return {
      kind: 'json',
      status: 200,
      body: output,
      headers: { 'x-Amzn-Invoked-Production-Variant': endpoint.variant },
    };
  }

  /** The model's answer as the container writes it: Lookout's field names, the mask base64, optionally nested. */
  private toWire(output: EmulatedModelAnswer): unknown {
    const { mask, ...verdict } = output;
    const result = { Source: { Type: 'direct' }, ...verdict, ...(mask ? { AnomalyMask: Buffer.from(mask).toString('base64') } : {}) };
    return this.nested ? { DetectAnomalyResult: result } : result;
  }

  /** ModelError as SageMaker reports a container's failure, naming the container, the log group and the account. */
  private modelError(endpointName: string, originalStatusCode: number, originalMessage: string): ServiceError {
    const kind = originalStatusCode >= 500 ? 'server' : 'client';
    const logGroup = `/aws/sagemaker/Endpoints/${endpointName}`;
    return {
      errorType: 'ModelError',
      status: SAGEMAKER_RUNTIME_ERROR_STATUS.ModelError,
      message:
        `Received ${kind} error (${originalStatusCode}) from primary with message "${originalMessage}". See ` +
        `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#logEventViewer:group=${logGroup} in account ${this.accountId} for more information.`,
      fields: {
        OriginalStatusCode: originalStatusCode,
        OriginalMessage: originalMessage,
        LogStreamArn: `arn:aws:logs:${this.region}:${this.accountId}:log-group:${logGroup}`,
      },
    };
  }

  private defaultMessage(errorType: Exclude<SageMakerRuntimeErrorType, 'ModelError'>, endpointName: string): string {
    switch (errorType) {
      case 'ValidationError':
        return `Endpoint ${endpointName} of account ${this.accountId} not found.`;
      case 'ThrottlingException':
        return 'Rate exceeded';
      case 'AccessDeniedException':
        return `User: arn:aws:sts::${this.accountId}:assumed-role/waferwatch-inspect/inspectImage is not authorized to perform: sagemaker:InvokeEndpoint on resource: arn:aws:sagemaker:${this.region}:${this.accountId}:endpoint/${endpointName.toLowerCase()}`;
      case 'ModelNotReadyException':
        return `Model for endpoint ${endpointName} is not ready yet; wait and try your request again.`;
      case 'InternalFailure':
        return 'An internal failure occurred.';
      case 'ServiceUnavailable':
        return 'The service is unavailable. Try your call again.';
      case 'InternalDependencyException':
        return 'Your request caused an exception with an internal dependency.';
    }
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

function error(errorType: string, status: number, message: string): EmulatorResponse {
  return { kind: 'error', error: { errorType, status, message } };
}
