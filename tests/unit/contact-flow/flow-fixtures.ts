import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InspectionRecord } from '../../../functions/core/inspection';
import { newInspectionId } from '../../../functions/core/inspection-keys';
import { loadContactFlow, type ContactFlow } from '../../../local/contact-flow-interpreter/flow-language';

/** The shipped flow file, read from the repository (tests never read outside it). */
export const FLOW_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../contact-flows/wafer-anomaly-alert.json');

/** An ARN of the shape serverless gives the record-decision function (logical id RecordDecisionLambdaFunction). */
export const RECORD_DECISION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:waferwatch-dev-recordDecision';

/** The shipped flow's text as committed. */
export function shippedFlowText(): string {
  return readFileSync(FLOW_PATH, 'utf8');
}

/** The shipped flow with its deploy-time placeholder filled as serverless.yml fills it. */
export function shippedFlow(): ContactFlow {
  return loadContactFlow(shippedFlowText(), { substitutions: { RecordDecisionFunctionArn: RECORD_DECISION_ARN } });
}

/** An anomalous inspection whose operator call was placed, as the inspect pipeline stores it. */
export function anomalousRecord(overrides: Partial<InspectionRecord> = {}): InspectionRecord {
  const inspectionId = overrides.inspectionId ?? newInspectionId();
  const createdAt = new Date().toISOString();
  return {
    inspectionId,
    stationId: 'litho-07',
    source: 'api',
    status: 'anomalous',
    image: { key: `inspections/x/${inspectionId}.png`, contentType: 'image/png', sizeBytes: 1234, width: 128, height: 128, sha256: 'a'.repeat(64) },
    detection: {
      IsAnomalous: true,
      Confidence: 0.87,
      Anomalies: [{ Name: 'anomaly', PixelAnomaly: { TotalPercentageArea: 2.5, Color: '#FF0000' } }],
      Detector: { name: 'embedded', modelVersion: 'test-1' },
    },
    alert: { status: 'placed', contactId: 'contact-under-test', placedAt: createdAt },
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

/**
 * The attributes StartOutboundVoiceContact sets for a record (see functions/adapters/connect/connect-operator-caller.ts):
 * `foldedAnomalies` is the count of anomalies folded into this call during the station's cooldown, "0" when none;
 * `stationName` is the station's spoken name from the registry.
 */
export function alertAttributes(
  record: InspectionRecord,
  confidencePercent = 87,
  foldedAnomalies = '0',
  callKind: 'anomaly' | 'folded' = 'anomaly',
): Record<string, string> {
  return {
    inspectionId: record.inspectionId,
    stationId: record.stationId,
    stationName: 'Litho seven',
    confidencePercent: String(confidencePercent),
    foldedAnomalies,
    callKind,
    contactName: 'Line operator',
    escalationLevel: '1',
    escalationLoop: '1',
  };
}
