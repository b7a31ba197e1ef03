import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { variablesOf } from '../../../functions/config/environment';
import { AUTHORIZE_REQUEST_CONFIG } from '../../../functions/wiring/authorize-request';
import { CONTACT_EVENTS_CONFIG } from '../../../functions/wiring/contact-events';
import { CREATE_UPLOAD_CONFIG } from '../../../functions/wiring/create-upload';
import { GET_INSPECTION_CONFIG } from '../../../functions/wiring/get-inspection';
import { GET_INSPECTION_IMAGE_CONFIG } from '../../../functions/wiring/get-inspection-image';
import { INSPECT_IMAGE_CONFIG } from '../../../functions/wiring/inspect-image';
import { LIST_INSPECTIONS_CONFIG } from '../../../functions/wiring/list-inspections';
import { LIST_STATIONS_CONFIG } from '../../../functions/wiring/list-stations';
import { PLACE_CALL_CONFIG } from '../../../functions/wiring/place-call';
import { PROCESS_CAMERA_UPLOAD_CONFIG } from '../../../functions/wiring/process-camera-upload';
import { RECORD_DECISION_CONFIG } from '../../../functions/wiring/record-decision';
import { PASSED_THROUGH, STACK_OWN_SETTINGS, START_SETTINGS, passedThrough } from '../../../local/start';

const PROJECT_ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

/** The part of a Markdown document from `heading` to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`no "${heading}" section`);
  const level = heading.slice(0, heading.indexOf(' ') + 1);
  const end = markdown.indexOf(`\n${level}`, start + heading.length + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** The environment variables a Markdown table names in its first column (`A`, `B` in one cell count as two). */
function firstColumnVariables(markdown: string): string[] {
  const names = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cell = line.split('|')[1] ?? '';
    for (const match of cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(match[1]!);
  }
  return [...names];
}

/** The variables the functions read: every fragment each function's wiring parses (functions/wiring/<name>.ts). */
function configVariables(): string[] {
  return variablesOf([
    ...INSPECT_IMAGE_CONFIG,
    ...GET_INSPECTION_CONFIG,
    ...GET_INSPECTION_IMAGE_CONFIG,
    ...LIST_INSPECTIONS_CONFIG,
    ...LIST_STATIONS_CONFIG,
    ...CREATE_UPLOAD_CONFIG,
    ...PROCESS_CAMERA_UPLOAD_CONFIG,
    ...PLACE_CALL_CONFIG,
    ...RECORD_DECISION_CONFIG,
    ...CONTACT_EVENTS_CONFIG,
    ...AUTHORIZE_REQUEST_CONFIG,
  ]);
}

const readmeConfiguration = firstColumnVariables(section(read('README.md'), '## Configuration'));
const localSettings = firstColumnVariables(section(read('docs/local-stack.md'), '## Settings'));
const passed = new Set<string>(PASSED_THROUGH);
const own = new Set(Object.keys(STACK_OWN_SETTINGS));
const start = new Set<string>(START_SETTINGS);
const unclassified = (names: string[]) => names.filter((name) => !passed.has(name) && !own.has(name) && !start.has(name));

describe("npm start's settings: passed through, or the stack's own", () => {
  it("classifies every variable of README's Configuration table", () => {
    // Assess
    expect(readmeConfiguration.length).toBeGreaterThan(30);
    expect(unclassified(readmeConfiguration)).toEqual([]);
  });

  it("classifies every variable of docs/local-stack.md's Settings table, and every one a function's wiring reads", () => {
    // Assess
    expect(localSettings.length).toBeGreaterThan(20);
    expect(unclassified(localSettings)).toEqual([]);
    expect(configVariables().length).toBeGreaterThan(30);
    expect(unclassified(configVariables())).toEqual([]);
  });

  it('documents every setting it passes through', () => {
    // Assess
    const documented = new Set([...readmeConfiguration, ...localSettings]);
    expect(PASSED_THROUGH.filter((name) => !documented.has(name))).toEqual([]);
    // The stack's own are listed in the Settings section's text, so a developer knows setting them does nothing.
    const settingsText = section(read('docs/local-stack.md'), '## Settings');
    expect(Object.keys(STACK_OWN_SETTINGS).filter((name) => !settingsText.includes(`\`${name}\``))).toEqual([]);
  });

  it('keeps the lists apart, and gives a reason for each setting the stack keeps to itself', () => {
    // Assess
    expect([...passed].filter((name) => own.has(name) || start.has(name))).toEqual([]);
    expect([...own].filter((name) => start.has(name))).toEqual([]);
    expect(new Set(PASSED_THROUGH).size).toBe(PASSED_THROUGH.length);
    for (const [name, reason] of Object.entries(STACK_OWN_SETTINGS)) expect(reason.length, name).toBeGreaterThan(10);
  });

  it('passes through the limits, thresholds, CORS origins and timings a developer tries things with', () => {
    // Assess
    expect(PASSED_THROUGH).toEqual(
      expect.arrayContaining([
        'ALLOWED_ORIGINS',
        'ALERT_CONFIDENCE_THRESHOLD',
        'ALERT_REVIEW_THRESHOLD',
        'MAX_IMAGE_BYTES',
        'MIN_IMAGE_SIDE',
        'MAX_IMAGE_SIDE',
        'CAMERA_MAX_IMAGE_BYTES',
        'UPLOAD_URL_EXPIRY_SECONDS',
        'IMAGE_DEDUPE_TTL_SECONDS',
        'ALERT_MAX_ATTEMPTS',
        'ALERT_RETRY_BASE_SECONDS',
        'STATION_REGISTRY_CACHE_SECONDS',
        'STATION_CALL_COOLDOWN_SECONDS',
        'DAILY_CALL_CAP',
        'CONNECT_CALLS_PER_SECOND',
        'ACK_TIMEOUT_SECONDS',
        'ESCALATION_LOOPS',
        'OPERATOR_PHONE_NUMBER',
        'CONNECT_SOURCE_PHONE_NUMBER',
        'OPERATOR_COUNTRY_PREFIXES',
      ]),
    );
    // Endpoints, queues and tables are the stack's own.
    for (const name of ['S3_ENDPOINT', 'SQS_ENDPOINT', 'ALERT_QUEUE_URL', 'ALERT_STATE_TABLE', 'IMAGE_BUCKET', 'STAGE']) expect(own.has(name), name).toBe(true);
  });

  it('hands the stack the passed-through settings that are set, and none of its own wiring', () => {
    // Prepare
    const shell = {
      ALLOWED_ORIGINS: 'http://localhost:5173',
      CAMERA_MAX_IMAGE_BYTES: '1000000',
      DAILY_CALL_CAP: '',
      S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
      ALERT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/prod-alerts',
      AWS_REGION: 'eu-west-1',
      PORT: '4000',
    };

    // Act
    const handed = passedThrough(shell);

    // Assess
    expect(handed).toEqual({ ALLOWED_ORIGINS: 'http://localhost:5173', CAMERA_MAX_IMAGE_BYTES: '1000000' });
  });

  it('takes WAFERWATCH_AUTH from the shell for the stack itself, never the token issuer or the key table, and README says what it does', () => {
    // Prepare
    const readme = read('README.md');

    // Assess
    expect(start.has('WAFERWATCH_AUTH')).toBe(true);
    expect(start.has('WAFERWATCH_API_KEY')).toBe(false);
    for (const name of ['AUTH_ISSUER', 'AUTH_CLIENT_ID', 'AUTH_JWKS_URI', 'CAMERA_KEY_TABLE', 'PEOPLE_API_KEY_ID']) expect(own.has(name), name).toBe(true);
    expect(passedThrough({ WAFERWATCH_AUTH: 'off', AUTH_ISSUER: 'https://elsewhere.example' })).toEqual({});
    expect(readme).toContain('`WAFERWATCH_AUTH=off`');
    expect(readme).toMatch(/deployed API has no such switch/);
    expect(readme).not.toContain('WAFERWATCH_API_KEY');
  });
});
