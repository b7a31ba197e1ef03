import { wireRecordDecision } from '../wiring/record-decision';

/** Invoked by Amazon Connect from the wafer-anomaly-alert flow: records the operator's decision and acknowledges the alert. */
export const handler = wireRecordDecision();
