import * as z from 'zod';
import { STATION_ID } from './camera-upload';
import { E164, hasAllowedPrefix } from './phone-number';

/**
 * The station registry: which stations exist, what the call says their name is, and whom to ring in which order.
 * Stations are data (DynamoDB in production, imported from a JSON file by `npm run stations:import`), so a fab
 * changes a ladder without a deploy. Nothing a client sends reaches a call: the spoken name and every number come
 * from here.
 */

/** Days as shift windows name them (ISO order, Monday first). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** When a contact is on shift: local times in an IANA time zone; `to` at or before `from` runs past midnight. */
export interface ShiftWindow {
  timeZone: string;
  /** Days the window starts on; every day when absent. */
  days?: Weekday[];
  /** HH:MM, 24-hour, local to `timeZone`. */
  from: string;
  to: string;
}

/** A person the ladder can ring. */
export interface EscalationContact {
  name: string;
  /** E.164, inside OPERATOR_COUNTRY_PREFIXES (checked at import and again before every call). */
  phone: string;
  /** When set, the contact is rung only inside one of these windows. */
  shifts?: ShiftWindow[];
}

/** One rung of the ladder: everyone on shift in it is rung at once; the first to acknowledge answers for all. */
export interface EscalationLevel {
  name?: string;
  contacts: EscalationContact[];
}

/** The kinds of model a station may name: the embedded detector's file, an anomalib ONNX export, a SageMaker endpoint. */
export const STATION_MODEL_TYPES = ['embedded', 'onnx', 'sagemaker'] as const;
export type StationModelType = (typeof STATION_MODEL_TYPES)[number];

/**
 * A detector model a station uses instead of the default: a model file path (absolute, or relative to the project /
 * the Lambda task root) whose type follows from its extension (.wwm embedded, .onnx onnx), or `{ uri, type?, sha256? }`.
 * An `s3://` model must be pinned by its sha256 (a file replaced in the bucket is refused, not silently used); a
 * SageMaker model's uri is the endpoint's name.
 */
export type StationModel = string | ({ uri: string; type?: StationModelType; sha256?: string } & Record<string, unknown>);

/** A station's model, spelled out: where it is, what runs it, and the bytes it must be. */
export interface ModelSpec {
  uri: string;
  type: StationModelType;
  sha256?: string;
}

/** The model a registry entry names, with its type decided (given, or by the file's extension; embedded otherwise). */
export function modelSpecOf(model: StationModel): ModelSpec {
  const uri = typeof model === 'string' ? model : model.uri;
  const given = typeof model === 'string' ? undefined : model.type;
  const type = given ?? (/\.onnx$/i.test(uri) ? 'onnx' : 'embedded');
  const sha256 = typeof model === 'string' ? undefined : model.sha256;
  return { uri, type, ...(sha256 ? { sha256 } : {}) };
}

/** One station as the registry keeps it. */
export interface Station {
  id: string;
  /** What the call says ("Litho three flagged a wafer"). */
  name: string;
  escalation: EscalationLevel[];
  /** Overrides of the stage-wide settings for this station. */
  cooldownSeconds?: number;
  confidenceThreshold?: number;
  reviewThreshold?: number;
  /** At most this many operator calls a UTC day for this station (instead of STATION_DAILY_CALL_CAP). */
  dailyCallCap?: number;
  model?: StationModel;
}

/**
 * Words a text-to-speech voice reads as they are, and nothing SSML could take for markup (no < > & " or backslash).
 * The registry is written by engineers, but the name is still spoken inside the flow's SSML.
 */
const SPOKEN_TEXT = /^[\p{L}\p{N}][\p{L}\p{N} .,'()/+-]{0,63}$/u;
const HH_MM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

const spokenText = (what: string) =>
  z.string().trim().regex(SPOKEN_TEXT, `${what} must be 1 to 64 letters, digits, spaces or . , ' ( ) / + - (it is spoken on the call)`);

const shiftSchema = z
  .object({
    timeZone: z.string().refine(isTimeZone, 'timeZone must be an IANA time zone such as Europe/Berlin'),
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    from: z.string().regex(HH_MM, 'from must be HH:MM (24-hour)'),
    to: z.string().regex(HH_MM, 'to must be HH:MM (24-hour)'),
  })
  .strict();

const contactSchema = z.object({
  name: spokenText('a contact name'),
  phone: z.string().trim().regex(E164, 'phone must be an E.164 number such as +14155550100'),
  shifts: z.array(shiftSchema).min(1).max(20).optional(),
});

/**
 * A level is either one contact (the short form of the minimum file) or `{ name?, contacts: [...] }`. The short form
 * is rewritten into the long one before it is checked, so a problem in it is named by its field (a union would only
 * say "Invalid input" for the whole level).
 */
const levelSchema = z.preprocess(
  (value) => (typeof value === 'object' && value !== null && !Array.isArray(value) && !('contacts' in value) ? { contacts: [value], shortForm: true } : value),
  z.object({ name: spokenText('a level name').optional(), contacts: z.array(contactSchema).min(1).max(10), shortForm: z.literal(true).optional() }),
);

const thresholdSchema = z.number().min(0).max(1);

/**
 * A model is a path (the short form) or `{ uri, type?, sha256? }`; the short form is read as `{ uri }` before it is
 * checked, so a problem is named by its field (a union would only say "Invalid input").
 */
const modelSchema = z
  .preprocess(
    (value) => (typeof value === 'string' ? { uri: value } : value),
    z
      .object({
        uri: z.string().min(1).max(1024),
        type: z.enum(STATION_MODEL_TYPES, { error: `type must be one of ${STATION_MODEL_TYPES.join(', ')}` }).optional(),
        sha256: z
          .string()
          .regex(/^[a-f0-9]{64}$/, 'sha256 must be 64 lowercase hex digits')
          .optional(),
      })
      .loose(),
  )
  .refine((model) => !model.uri.startsWith('s3://') || model.sha256 !== undefined, {
    message: 'an s3:// model must be pinned by its sha256: give { "uri": "s3://…", "sha256": "<64 hex digits>" }',
  })
  .refine((model) => modelSpecOf(model).type !== 'sagemaker' || /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(model.uri), {
    message: "a sagemaker model's uri is the endpoint's name (letters, digits and hyphens, at most 63)",
  });

const stationSchema = z
  .object({
    id: z.string().regex(STATION_ID, 'id must be 1 to 64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)'),
    name: spokenText('name'),
    escalation: z.array(levelSchema).min(1, 'escalation needs at least one contact').max(10),
    cooldownSeconds: z.number().int().min(0).max(86_400).optional(),
    confidenceThreshold: thresholdSchema.optional(),
    reviewThreshold: thresholdSchema.optional(),
    dailyCallCap: z.number().int().min(1).max(10_000).optional(),
    model: modelSchema.optional(),
  })
  .refine((station) => station.reviewThreshold === undefined || station.reviewThreshold <= (station.confidenceThreshold ?? 1), {
    message: 'reviewThreshold must not be above confidenceThreshold',
    path: ['reviewThreshold'],
  });

const registryFileSchema = z.object({ stations: z.array(stationSchema).max(10_000) });

/** A registry file (or one station) that cannot be imported; `problems` names each one by its path. */
export class StationRegistryError extends Error {
  override name = 'StationRegistryError';
  constructor(readonly problems: string[]) {
    super(`The station registry is not valid: ${problems.join('; ')}`);
  }
}

/**
 * Parse a registry file's JSON value (`{"stations": [...]}`): every station valid, ids unique, and every number inside
 * `allowedPrefixes` (the toll-fraud guard, OPERATOR_COUNTRY_PREFIXES). Throws StationRegistryError naming each problem.
 */
export function parseStationRegistry(value: unknown, allowedPrefixes: readonly string[]): Station[] {
  const parsed = registryFileSchema.safeParse(value);
  if (!parsed.success) {
    throw new StationRegistryError(parsed.error.issues.map((issue) => `${fileLocation(value, issue.path) || '(file)'}: ${issue.message}`));
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.data.stations.forEach((station, index) => {
    if (seen.has(station.id)) problems.push(`stations.${index}.id: station ${station.id} is listed twice`);
    seen.add(station.id);
    station.escalation.forEach((level, levelIndex) =>
      level.contacts.forEach((contact, contactIndex) => {
        if (!hasAllowedPrefix(contact.phone, allowedPrefixes)) {
          const where = level.shortForm
            ? `stations.${index}.escalation.${levelIndex}.phone`
            : `stations.${index}.escalation.${levelIndex}.contacts.${contactIndex}.phone`;
          problems.push(`${where}: the number is outside the allowed prefixes (${allowedPrefixes.join(',')})`);
        }
      }),
    );
  });
  if (problems.length > 0) throw new StationRegistryError(problems);
  return parsed.data.stations.map(normaliseStation);
}

/** Re-check one station read back from the store (it may have been edited by hand): the same rules as an import. */
export function parseStoredStation(value: unknown, allowedPrefixes: readonly string[]): Station {
  const [station] = parseStationRegistry({ stations: [value] }, allowedPrefixes);
  return station as Station;
}

/** An issue's path as the file spells it: a short-form level's contact is the level itself in the file. */
function fileLocation(value: unknown, issuePath: readonly PropertyKey[]): string {
  const parts = issuePath.map(String);
  // stations.N.escalation.M.contacts.0.x → stations.N.escalation.M.x when level M was written as one contact.
  if (parts[0] === 'stations' && parts[2] === 'escalation' && parts[4] === 'contacts' && parts[5] === '0') {
    const level = (value as { stations?: Array<{ escalation?: unknown[] }> })?.stations?.[Number(parts[1])]?.escalation?.[Number(parts[3])];
    if (typeof level === 'object' && level !== null && !('contacts' in level)) return [...parts.slice(0, 4), ...parts.slice(6)].join('.');
  }
  return parts.join('.');
}

function normaliseStation(station: z.infer<typeof stationSchema>): Station {
  const result: Station = {
    id: station.id,
    name: station.name,
    escalation: station.escalation.map((level) => ({
      ...(level.name && !level.shortForm ? { name: level.name } : {}),
      contacts: level.contacts.map((contact) => ({ name: contact.name, phone: contact.phone, ...(contact.shifts ? { shifts: contact.shifts } : {}) })),
    })),
  };
  if (station.cooldownSeconds !== undefined) result.cooldownSeconds = station.cooldownSeconds;
  if (station.confidenceThreshold !== undefined) result.confidenceThreshold = station.confidenceThreshold;
  if (station.reviewThreshold !== undefined) result.reviewThreshold = station.reviewThreshold;
  if (station.model !== undefined) result.model = station.model;
  return result;
}

/** The id of the one station a product without a registry has. */
export const DEFAULT_STATION_ID = 'default';

/**
 * Without a registry the product has one station: every upload belongs to it whatever station it names (as before the
 * registry, its calls still carry the named station id for the record), and its ladder is the one configured operator.
 */
export function defaultStation(operatorPhoneNumber: string): Station {
  return {
    id: DEFAULT_STATION_ID,
    name: 'the default station',
    escalation: [{ name: 'Operator', contacts: [{ name: 'Operator', phone: operatorPhoneNumber }] }],
  };
}

/** True when `at` falls inside one of the contact's shift windows (always, for a contact without shifts). */
export function isOnShift(contact: EscalationContact, at: Date): boolean {
  if (!contact.shifts || contact.shifts.length === 0) return true;
  return contact.shifts.some((shift) => insideWindow(shift, at));
}

/** The contacts of a level to ring at `at`: those on shift. */
export function contactsOnShift(level: EscalationLevel, at: Date): EscalationContact[] {
  return level.contacts.filter((contact) => isOnShift(contact, at));
}

function insideWindow(shift: ShiftWindow, at: Date): boolean {
  const { weekday, minutes } = localTime(at, shift.timeZone);
  const from = toMinutes(shift.from);
  const to = toMinutes(shift.to);
  const days = shift.days ?? WEEKDAYS;
  if (from < to) return days.includes(weekday) && minutes >= from && minutes < to;
  // Overnight (or a full day when from = to): the window opens on a listed day and runs into the next one.
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 6) % 7] as Weekday;
  return (days.includes(weekday) && minutes >= from) || (days.includes(yesterday) && minutes < to);
}

function toMinutes(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours as number) * 60 + (minutes as number);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The weekday and minutes past midnight of an instant in a time zone (Intl does the zone rules; no library needed). */
function localTime(at: Date, timeZone: string): { weekday: Weekday; minutes: number } {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  const weekday = String(parts.weekday).toLowerCase().slice(0, 3) as Weekday;
  return { weekday, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
