import { z } from 'zod';
import { E164, hasAllowedPrefix, NUMBER_PREFIX } from '../core/phone-number';

export { hasAllowedPrefix };

const phoneNumber = (name: string) =>
  z.string({ error: `${name} environment variable is not set` }).regex(E164, `${name} must be an E.164 phone number such as +14155550100`);

const optionalUrl = z.url().optional();

const COUNTRY_PREFIX = NUMBER_PREFIX;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Comma-separated list, blanks dropped. */
const commaList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

const baseSchema = z.object({
  STAGE: z.string().min(1).default('local'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  IMAGE_BUCKET: z.string({ error: 'IMAGE_BUCKET environment variable is not set' }).min(3),
  /** Local and test override of the S3 endpoint (s3rver); unset in AWS. */
  S3_ENDPOINT: optionalUrl,
  MAX_IMAGE_BYTES: positiveInt(4 * 1024 * 1024),
  MIN_IMAGE_SIDE: positiveInt(64),
  MAX_IMAGE_SIDE: positiveInt(4096),
  DETECTOR: z.enum(['embedded', 'lookoutvision']).default('embedded'),
  /** A file path (relative to the working directory or absolute) or an s3://bucket/key URI of the embedded model. */
  EMBEDDED_MODEL_URI: z.string().min(1).default('models/wafer-default.wwm'),
  LOOKOUT_PROJECT_NAME: z.string().min(1).optional(),
  LOOKOUT_MODEL_VERSION: z.string().min(1).optional(),
  LOOKOUT_ENDPOINT: optionalUrl,
  CONNECT_INSTANCE_ID: z.string({ error: 'CONNECT_INSTANCE_ID environment variable is not set' }).min(1),
  CONNECT_CONTACT_FLOW_ID: z.string({ error: 'CONNECT_CONTACT_FLOW_ID environment variable is not set' }).min(1),
  CONNECT_SOURCE_PHONE_NUMBER: phoneNumber('CONNECT_SOURCE_PHONE_NUMBER'),
  OPERATOR_PHONE_NUMBER: phoneNumber('OPERATOR_PHONE_NUMBER'),
  /**
   * Toll-fraud guard: the only number prefixes the operator and source numbers may have (comma-separated, e.g.
   * `+44` or `+1415,+1650`). Deployed stages set it explicitly (serverless.yml param operatorCountryPrefixes);
   * unset, it is the NANP and the UK, where the sample numbers are. See docs/security.md.
   */
  OPERATOR_COUNTRY_PREFIXES: z
    .string()
    .default('+1,+44')
    .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)),
  CONNECT_ENDPOINT: optionalUrl,
  /** Anomalous verdicts at or above this confidence ring the operator. */
  ALERT_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  /** Inspections at least this likely anomalous, but below the call threshold, are recorded as needs-review. */
  ALERT_REVIEW_THRESHOLD: z.coerce.number().min(0).max(1).default(0.3),
  /** Origins the API answers CORS for; `*` is refused outside the local stage. */
  ALLOWED_ORIGINS: commaList,
  /** Camera path (POST /uploads, straight to S3): its own size limit, above the API's, since no API Gateway payload ceiling applies. */
  CAMERA_MAX_IMAGE_BYTES: positiveInt(20 * 1024 * 1024),
  /** How long a presigned camera upload stays usable, in seconds. */
  UPLOAD_URL_EXPIRY_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  /** The alert queue: anomalous inspections put their alert here; the place-call function takes it. */
  ALERT_QUEUE_URL: z.url({ error: 'ALERT_QUEUE_URL environment variable is not set (or not a URL)' }),
  /** Where alerts that will not be called (refused, capped, out of retries) are parked with the reason. */
  ALERT_DEAD_LETTER_QUEUE_URL: z.url({ error: 'ALERT_DEAD_LETTER_QUEUE_URL environment variable is not set (or not a URL)' }),
  /** The DynamoDB table of the alert state: image claims, alert leases, station cooldowns, the daily call count. */
  ALERT_STATE_TABLE: z.string({ error: 'ALERT_STATE_TABLE environment variable is not set' }).min(3),
  /** Local and test overrides of the SQS and DynamoDB endpoints (the emulators); unset in AWS. */
  SQS_ENDPOINT: optionalUrl,
  DYNAMODB_ENDPOINT: optionalUrl,
  /** After a call for a station, its anomalies within this many seconds are told on its next call instead of ringing. */
  STATION_CALL_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** StartOutboundVoiceContact requests a second one place-call container may send (Connect allows about 2 per instance). */
  CONNECT_CALLS_PER_SECOND: z.coerce.number().positive().max(100).default(1),
  /** Toll-fraud guard: at most this many operator calls start per UTC day. */
  DAILY_CALL_CAP: positiveInt(100),
  /** Deliveries of one alert before it is given up; the same number as the alert queue's maxReceiveCount. */
  ALERT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** The first retry of a throttled call waits this long; each later retry doubles it. */
  ALERT_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** The same image bytes sent again within this many seconds are the same inspection (no second call). */
  IMAGE_DEDUPE_TTL_SECONDS: positiveInt(14 * 86_400),
  /**
   * The station registry's DynamoDB table. Set: stations, their spoken names and escalation ladders come from it, and
   * uploads naming a station it does not have are refused (422 UNKNOWN_STATION). Unset: one default station rings
   * OPERATOR_PHONE_NUMBER, as before the registry.
   */
  STATION_REGISTRY_TABLE: z.string().min(3).optional(),
  /** How long a function keeps a station it read from the registry before reading it again. */
  STATION_REGISTRY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
  /** How long a ladder step waits for someone to press a key before the next level rings (SQS delays at most 900 s). */
  ACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(120),
  /** How many times the whole ladder is rung, level by level, before the alert is unacknowledged. */
  ESCALATION_LOOPS: z.coerce.number().int().min(1).max(10).default(2),
  /** The SNS topic told when an alert reached nobody (unacknowledged, or no call could start); unset locally. */
  ALERT_UNACKNOWLEDGED_TOPIC_ARN: z.string().startsWith('arn:', 'ALERT_UNACKNOWLEDGED_TOPIC_ARN must be an SNS topic ARN').optional(),
  /** Local and test override of the SNS endpoint (the emulator); unset in AWS. */
  SNS_ENDPOINT: optionalUrl,
});

/** The product's configuration, parsed once from the environment. */
export type Config = z.infer<typeof baseSchema>;

/** Thrown at cold start when the environment is incomplete or malformed; names every bad variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * Parse and check the environment. Throws ConfigurationError naming each missing or malformed variable,
 * so a misconfigured function fails at cold start, not on the first wafer.
 */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = baseSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const config = result.data;
  if (config.DETECTOR === 'lookoutvision') {
    for (const name of ['LOOKOUT_PROJECT_NAME', 'LOOKOUT_MODEL_VERSION'] as const) {
      if (!config[name]) throw new ConfigurationError(`${name} environment variable is not set (required when DETECTOR=lookoutvision)`);
    }
  }
  if (config.STAGE !== 'local' && config.ALLOWED_ORIGINS.includes('*')) {
    throw new ConfigurationError(`ALLOWED_ORIGINS must list exact origins in stage ${config.STAGE}; "*" is only allowed locally`);
  }
  if (config.ALERT_REVIEW_THRESHOLD > config.ALERT_CONFIDENCE_THRESHOLD) {
    throw new ConfigurationError('ALERT_REVIEW_THRESHOLD must not be above ALERT_CONFIDENCE_THRESHOLD');
  }
  if (config.OPERATOR_COUNTRY_PREFIXES.length === 0) {
    throw new ConfigurationError('OPERATOR_COUNTRY_PREFIXES must list at least one prefix such as +44');
  }
  for (const prefix of config.OPERATOR_COUNTRY_PREFIXES) {
    if (!COUNTRY_PREFIX.test(prefix)) throw new ConfigurationError(`OPERATOR_COUNTRY_PREFIXES entry "${prefix}" is not a number prefix such as +44 or +1415`);
  }
  for (const name of ['OPERATOR_PHONE_NUMBER', 'CONNECT_SOURCE_PHONE_NUMBER'] as const) {
    if (!hasAllowedPrefix(config[name], config.OPERATOR_COUNTRY_PREFIXES)) {
      throw new ConfigurationError(`${name} is outside OPERATOR_COUNTRY_PREFIXES (${config.OPERATOR_COUNTRY_PREFIXES.join(',')})`);
    }
  }
  for (const origin of config.ALLOWED_ORIGINS) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigurationError(`ALLOWED_ORIGINS entry "${origin}" is not an origin (scheme://host[:port])`);
    }
  }
  return config;
}


let cached: Config | undefined;

/** The configuration of this container, parsed on first use and kept. */
export function getConfig(): Config {
  cached ??= parseConfig();
  return cached;
}
