import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { PlaceCallResult } from '../../core/place-operator-call';
import type { Detector } from '../../core/ports/detector';
import type { InspectionEvents } from '../../core/ports/inspection-events';
import { createLogger } from './logger';

/** The CloudWatch namespace of the product's EMF metrics (the alarms in serverless.yml read it). */
export const METRICS_NAMESPACE = 'waferwatch';
/** The service name on every log line, metric (dimension `service`) and trace. */
export const SERVICE_NAME = 'waferwatch';

/** A container's logger, metrics and tracer: built once, shared by every invocation. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
}

/**
 * Build the logger, EMF metrics (namespace `waferwatch`, default dimension `stage`) and the X-Ray tracer.
 * The tracer switches itself off outside Lambda (no AWS_EXECUTION_ENV); metrics print nothing when
 * POWERTOOLS_METRICS_DISABLED is true (tests, the local stack). Nothing is sent anywhere at construction.
 */
export function createObservability(options: { stage?: string; logger?: Logger } = {}): Observability {
  const stage = options.stage ?? process.env.STAGE ?? 'dev';
  return {
    logger: options.logger ?? createLogger(),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, defaultDimensions: { stage } }),
    tracer: new Tracer({ serviceName: SERVICE_NAME }),
  };
}

let containerObservability: Observability | undefined;

/** This container's observability, built on first use (after the environment is set, so the local stack's settings count). */
export function getObservability(): Observability {
  containerObservability ??= createObservability();
  return containerObservability;
}

/** Capture an AWS SDK v3 client's calls as X-Ray subsegments; a no-op where tracing is off. */
export function traced<Client>(client: Client, tracer: Tracer = getObservability().tracer): Client {
  return tracer.captureAWSv3Client(client);
}

/**
 * What the routes tell observability about the request they handle: which inspection it is (so every later log line
 * carries its id and the trace is annotated with it), and why an image was refused.
 */
export interface RequestObserver {
  inspectionStarted(inspectionId: string): void;
  inspectionFinished(): void;
  rejected(code: string): void;
}

/** The observer for a container: logger keys, trace annotation and the `Rejections` metric. */
export function createRequestObserver({ logger, metrics, tracer }: Observability): RequestObserver {
  return {
    inspectionStarted(inspectionId) {
      logger.appendKeys({ inspectionId });
      tracer.putAnnotation('inspectionId', inspectionId);
    },
    inspectionFinished() {
      logger.removeKeys(['inspectionId']);
    },
    rejected(code) {
      // The code rides as EMF metadata (searchable in Logs Insights), not a dimension, so the metric's dimensions stay
      // the fixed set the alarms name.
      metrics.addMetric('Rejections', MetricUnit.Count, 1);
      metrics.addMetadata('rejectionCode', code);
    },
  };
}

/**
 * The inspection pipeline's metrics, whichever path (API or camera) ran it: `Inspections` once per inspection,
 * `Anomalies`, `NeedsReview` and `NotInspected` per stored outcome, and `CallsFailed` for an alert that could not be
 * queued (the CallsFailed alarm sees it; the calls themselves are counted by the place-call function).
 */
export function inspectionMetrics(metrics: Metrics): InspectionEvents {
  return {
    recorded(record, firstForInspection) {
      if (firstForInspection) metrics.addMetric('Inspections', MetricUnit.Count, 1);
      if (record.status === 'anomalous') metrics.addMetric('Anomalies', MetricUnit.Count, 1);
      if (record.status === 'needs-review') metrics.addMetric('NeedsReview', MetricUnit.Count, 1);
      if (record.status === 'not-inspected') metrics.addMetric('NotInspected', MetricUnit.Count, 1);
    },
    alertNotQueued() {
      metrics.addMetric('CallsFailed', MetricUnit.Count, 1);
    },
    alertFolded() {
      metrics.addMetric('CallsFolded', MetricUnit.Count, 1);
    },
  };
}

/** Time every detect() call (failed ones too: a slow refusal is still latency) as `DetectorLatency` in ms. */
export function timedDetector<Prepared>(detector: Detector<Prepared>, metrics: Metrics, now: () => number = () => performance.now()): Detector<Prepared> {
  const timed: Detector<Prepared> = {
    async detect(image, prepared) {
      const started = now();
      try {
        return await detector.detect(image, prepared);
      } finally {
        metrics.addMetric('DetectorLatency', MetricUnit.Milliseconds, now() - started);
      }
    },
  };
  if (detector.prepare) timed.prepare = detector.prepare.bind(detector);
  return timed;
}

/**
 * Wrap a Lambda handler: the Lambda context (request id, function name, cold start) on every log line; under X-Ray a
 * `## handler` subsegment around the invocation (Lambda's own segment takes no annotations, so the inspection id,
 * ColdStart and Service annotations go there; a thrown error only flags it); and after the invocation, whatever happened, the inspection key
 * dropped and the stored metrics flushed as one EMF line.
 */
export function withObservability<Event, Result>(
  handler: (event: Event, context: Context) => Promise<Result>,
  observability: Observability = getObservability(),
): (event: Event, context?: Context) => Promise<Result> {
  const { logger, metrics, tracer } = observability;
  return async (event, context) => {
    if (context) logger.addContext(context);
    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment(`## ${process.env._HANDLER ?? 'handler'}`);
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      // Some callers (the local stack, tests) pass no context; the wrapped handlers already read it defensively.
      return await handler(event, context as Context);
    } catch (error) {
      // Only the flag: an error's message may echo a phone number, and traces are not masked as the logs are.
      subsegment?.addErrorFlag();
      throw error;
    } finally {
      if (subsegment && segment) {
        subsegment.close();
        tracer.setSegment(segment);
      }
      logger.removeKeys(['inspectionId']);
      // An invocation with nothing to count (a preflight, a read) prints nothing, not Powertools' empty warning.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/**
 * The call metrics of the place-call function: CallsPlaced (a ladder's first level rang), CallsEscalated,
 * AlertsUnacknowledged (its alarm notifies people), CallsFolded, CallsRetried, CallsFailed and DuplicateAlerts (the
 * alarms in resources/observability.yml read them).
 */
export function countCallResult({ metrics }: Pick<Observability, 'metrics'>, result: PlaceCallResult): void {
  const names: Partial<Record<PlaceCallResult['result'], string>> = {
    placed: 'CallsPlaced',
    escalated: 'CallsEscalated',
    unacknowledged: 'AlertsUnacknowledged',
    folded: 'CallsFolded',
    retry: 'CallsRetried',
    'dead-letter': 'CallsFailed',
    duplicate: 'DuplicateAlerts',
  };
  const name = names[result.result];
  if (!name) return;
  metrics.addMetric(name, MetricUnit.Count, 1);
  if (result.result === 'dead-letter') metrics.addMetadata('failureCode', result.code);
}
