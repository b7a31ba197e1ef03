import * as z from 'zod';
import { configFragment, positiveInt } from './environment';

/** After a call for a station, its anomalies within this many seconds are told on its next call instead of ringing. */
const STATION_CALL_COOLDOWN_SECONDS = z.coerce.number().int().min(0).max(86_400).default(300);

/** The station cooldown alone: the inspecting functions fold an anomaly inside it as they store the verdict. */
export const stationCooldownConfig = configFragment({ STATION_CALL_COOLDOWN_SECONDS });

/** When and how often people are rung: cooldown, daily cap, retries and the escalation ladder's timing. */
export const callPolicyConfig = configFragment({
  STATION_CALL_COOLDOWN_SECONDS,
  /** Toll-fraud guard, the ceiling: at most this many operator calls start per UTC day over all stations. */
  DAILY_CALL_CAP: positiveInt(100),
  /** At most this many operator calls start per UTC day for one station (a station's registry entry may say otherwise). */
  STATION_DAILY_CALL_CAP: positiveInt(20),
  /** Deliveries of one alert before it is given up; the same number as the alert queue's maxReceiveCount. */
  ALERT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** The first retry of a throttled call waits this long; each later retry doubles it. */
  ALERT_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** How long a ladder step waits for someone to press a key before the next level rings (SQS delays at most 900 s). */
  ACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(120),
  /** How many times the whole ladder is rung, level by level, before the alert is unacknowledged. */
  ESCALATION_LOOPS: z.coerce.number().int().min(1).max(10).default(2),
});
