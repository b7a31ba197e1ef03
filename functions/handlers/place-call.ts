import { wirePlaceCall } from '../wiring/place-call';

/** The alert queue's consumer (SQS event source with ReportBatchItemFailures): one escalation ladder per alert, at most. */
export const handler = wirePlaceCall();
