import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  contactsOnShift,
  defaultStation,
  isOnShift,
  modelSpecOf,
  parseStationRegistry,
  parseStoredStation,
  StationRegistryError,
  type EscalationContact,
  type ShiftWindow,
} from '../../../functions/core/station-registry';

const US = ['+1'];

/** The issue's minimum registry file, exactly as written there. */
const MINIMUM_FILE =
  '{"stations":[{"id":"litho-3","name":"Litho three","escalation":[{"name":"Line operator","phone":"+15555550100"},{"name":"Shift lead","phone":"+15555550101"}]}]}';

/** One valid station, to break one field at a time. */
function station(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'litho-3', name: 'Litho three', escalation: [{ name: 'Line operator', phone: '+15555550100' }], ...overrides };
}

/** The problems a registry is refused with (failing the test when it is accepted). */
function problemsOf(value: unknown, prefixes: readonly string[] = US): string[] {
  try {
    parseStationRegistry(value, prefixes);
  } catch (error) {
    expect(error).toBeInstanceOf(StationRegistryError);
    return (error as StationRegistryError).problems;
  }
  throw new Error('The registry was accepted');
}

describe('parseStationRegistry', () => {
  it("accepts the issue's minimum file as is: one station, two levels of one contact each", () => {
    // Act
    const stations = parseStationRegistry(JSON.parse(MINIMUM_FILE), US);

    // Assess
    expect(stations).toEqual([
      {
        id: 'litho-3',
        name: 'Litho three',
        escalation: [{ contacts: [{ name: 'Line operator', phone: '+15555550100' }] }, { contacts: [{ name: 'Shift lead', phone: '+15555550101' }] }],
      },
    ]);
  });

  it('accepts levels of several contacts with names and shifts, and per-station overrides', () => {
    // Prepare
    const operators = [
      { name: 'Day operator', phone: '+15555550110', shifts: [{ timeZone: 'America/Chicago', days: ['mon', 'tue'], from: '06:00', to: '18:00' }] },
      { name: 'Night operator', phone: '+15555550111', shifts: [{ timeZone: 'America/Chicago', from: '18:00', to: '06:00' }] },
    ];
    const file = {
      stations: [
        station({
          cooldownSeconds: 600,
          confidenceThreshold: 0.7,
          reviewThreshold: 0.4,
          model: { uri: 's3://models/litho.wwm', type: 'embedded', sha256: 'a'.repeat(64) },
          escalation: [
            { name: 'Operators', contacts: operators },
            { name: 'Shift lead', phone: '+15555550112' },
          ],
        }),
      ],
    };

    // Act
    const [parsed] = parseStationRegistry(file, US);

    // Assess
    expect(parsed?.escalation).toHaveLength(2);
    expect(parsed?.escalation[0]).toEqual({ name: 'Operators', contacts: operators });
    expect(parsed?.escalation[1]).toEqual({ contacts: [{ name: 'Shift lead', phone: '+15555550112' }] });
    expect(parsed).toMatchObject({ cooldownSeconds: 600, confidenceThreshold: 0.7, reviewThreshold: 0.4, model: { uri: 's3://models/litho.wwm' } });
  });

  it('takes a model as a path (its type from the extension) or { uri, type, sha256 }, and refuses an unpinned s3:// model or an unknown type', () => {
    // Act
    const stations = parseStationRegistry(
      {
        stations: [
          station({ id: 'a', model: 'models/litho.wwm' }),
          station({ id: 'b', model: 'models/anomalib-padim.onnx' }),
          station({ id: 'c', model: { uri: 'wafer-defects', type: 'sagemaker' } }),
        ],
      },
      US,
    );

    // Assess
    expect(stations.map((each) => modelSpecOf(each.model!))).toEqual([
      { uri: 'models/litho.wwm', type: 'embedded' },
      { uri: 'models/anomalib-padim.onnx', type: 'onnx' },
      { uri: 'wafer-defects', type: 'sagemaker' },
    ]);
    expect(problemsOf({ stations: [station({ model: 's3://bucket/models/litho.wwm' })] }).join()).toMatch(/s3:\/\/ model must be pinned by its sha256/);
    expect(problemsOf({ stations: [station({ model: { uri: 's3://bucket/m.wwm' } })] }).join()).toMatch(/pinned by its sha256/);
    expect(problemsOf({ stations: [station({ model: { uri: 'm.wwm', type: 'tensorflow' } })] }).join()).toMatch(
      /type must be one of embedded, onnx, sagemaker/,
    );
    expect(problemsOf({ stations: [station({ model: { uri: 'arn:aws:sagemaker:eu-west-1:1:endpoint/x', type: 'sagemaker' } })] }).join()).toMatch(
      /endpoint's name/,
    );
  });

  it('parses the shipped examples/stations.json', async () => {
    // Prepare
    const file = JSON.parse(await readFile(new URL('../../../examples/stations.json', import.meta.url), 'utf8'));

    // Act
    const stations = parseStationRegistry(file, US);

    // Assess
    expect(stations.map((each) => each.id)).toEqual(['litho-3', 'etch-1']);
    expect(stations[1]?.escalation[0]?.contacts).toHaveLength(2);
  });

  it('refuses a number outside the allowed prefixes, naming where it is and not the number', () => {
    // Prepare
    const file = {
      stations: [
        station(),
        station({
          id: 'etch-1',
          escalation: [
            {
              name: 'Ops',
              contacts: [
                { name: 'A', phone: '+15555550100' },
                { name: 'B', phone: '+882123456789' },
              ],
            },
          ],
        }),
      ],
    };

    // Act
    const problems = problemsOf(file);

    // Assess
    expect(problems).toEqual(['stations.1.escalation.0.contacts.1.phone: the number is outside the allowed prefixes (+1)']);
    expect(problems.join()).not.toContain('882123456789');
  });

  it('applies longer prefixes too: +1415 refuses another area code of the NANP', () => {
    // Act
    const problems = problemsOf({ stations: [station({ escalation: [{ name: 'Op', phone: '+18765550100' }] })] }, ['+1415']);

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^stations\.0\.escalation\.0\.phone: the number is outside the allowed prefixes \(\+1415\)$/)]);
  });

  it('refuses a station id listed twice', () => {
    // Act
    const problems = problemsOf({ stations: [station(), station({ name: 'Litho three again' })] });

    // Assess
    expect(problems).toEqual(['stations.1.id: station litho-3 is listed twice']);
  });

  it.each(['+1 555 555 0100', '15555550100', '+0155555501', '+1555', `+1${'5'.repeat(15)}`, 'tel:+15555550100'])('refuses %s, which is not E.164', (phone) => {
    // Act
    const longForm = problemsOf({ stations: [station({ escalation: [{ contacts: [{ name: 'Op', phone }] }] })] });
    const shortForm = problemsOf({ stations: [station({ escalation: [{ name: 'Op', phone }] })] });

    // Assess
    expect(longForm).toEqual(['stations.0.escalation.0.contacts.0.phone: phone must be an E.164 number such as +14155550100']);
    // The short form of a level (one contact) names the field as the file spells it.
    expect(shortForm).toEqual(['stations.0.escalation.0.phone: phone must be an E.164 number such as +14155550100']);
  });

  it.each([
    ['a station name with <', { name: 'Litho <break time="10s"/> three' }, 'stations.0.name'],
    ['a station name with &', { name: 'Litho & etch' }, 'stations.0.name'],
    ['a level name with <', { escalation: [{ name: '<speak>', contacts: [{ name: 'Op', phone: '+15555550100' }] }] }, 'stations.0.escalation.0.name'],
    ['a contact name with &', { escalation: [{ contacts: [{ name: 'Ops &amp; leads', phone: '+15555550100' }] }] }, 'stations.0.escalation.0.contacts.0.name'],
    ['a contact name with a quote', { escalation: [{ contacts: [{ name: 'Op"s', phone: '+15555550100' }] }] }, 'stations.0.escalation.0.contacts.0.name'],
    ['an empty station name', { name: '' }, 'stations.0.name'],
    ['a station name of 65 letters', { name: 'a'.repeat(65) }, 'stations.0.name'],
  ])('refuses %s (the name is spoken inside the flow SSML)', (_label, overrides, path) => {
    // Act
    const problems = problemsOf({ stations: [station(overrides)] });

    // Assess
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')}: .*spoken on the call`))]);
  });

  it('refuses an SSML-unsafe contact name in the short form of a level', () => {
    // Act
    const problems = problemsOf({ stations: [station({ escalation: [{ name: 'Line <operator>', phone: '+15555550100' }] })] });

    // Assess
    expect(problems).toEqual([expect.stringMatching(/^stations\.0\.escalation\.0\.name: .*spoken on the call/)]);
  });

  it('accepts spoken names with letters of any script, digits and the allowed punctuation', () => {
    // Act
    const [parsed] = parseStationRegistry({ stations: [station({ name: "Ätzer 2 (Halle B) / O'Brien's line - 3.1, +" })] }, US);

    // Assess
    expect(parsed?.name).toBe("Ätzer 2 (Halle B) / O'Brien's line - 3.1, +");
  });

  it.each([
    [
      'an unknown time zone',
      { timeZone: 'Mars/Olympus_Mons', from: '08:00', to: '16:00' },
      'stations.0.escalation.0.contacts.0.shifts.0.timeZone: timeZone must be an IANA time zone',
    ],
    ['an hour past 23', { timeZone: 'Europe/Berlin', from: '24:00', to: '06:00' }, 'stations.0.escalation.0.contacts.0.shifts.0.from: from must be HH:MM'],
    ['a time without minutes', { timeZone: 'Europe/Berlin', from: '08:00', to: '6' }, 'stations.0.escalation.0.contacts.0.shifts.0.to: to must be HH:MM'],
    ['an unknown day', { timeZone: 'Europe/Berlin', days: ['monday'], from: '08:00', to: '16:00' }, 'stations.0.escalation.0.contacts.0.shifts.0.days.0'],
    ['an unknown field', { timeZone: 'Europe/Berlin', from: '08:00', to: '16:00', until: '2027-01-01' }, 'stations.0.escalation.0.contacts.0.shifts.0'],
  ])('refuses a shift with %s', (_label, shift, problem) => {
    // Act
    const problems = problemsOf({ stations: [station({ escalation: [{ contacts: [{ name: 'Op', phone: '+15555550100', shifts: [shift] }] }] })] });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^stations\.0\.escalation\.0/);
    expect(problems[0]).toContain(problem);
  });

  it.each([
    ['a confidence threshold above 1', { confidenceThreshold: 1.2 }, 'stations.0.confidenceThreshold'],
    ['a negative review threshold', { reviewThreshold: -0.1 }, 'stations.0.reviewThreshold'],
    [
      'a review threshold above the confidence threshold',
      { confidenceThreshold: 0.5, reviewThreshold: 0.6 },
      'stations.0.reviewThreshold: reviewThreshold must not be above confidenceThreshold',
    ],
    ['a threshold as text', { confidenceThreshold: '0.5' }, 'stations.0.confidenceThreshold'],
    ['a cooldown that is not whole seconds', { cooldownSeconds: 1.5 }, 'stations.0.cooldownSeconds'],
    ['a cooldown over a day', { cooldownSeconds: 86_401 }, 'stations.0.cooldownSeconds'],
  ])('refuses %s', (_label, overrides, problem) => {
    // Act
    const problems = problemsOf({ stations: [station(overrides)] });

    // Assess
    expect(problems).toEqual([expect.stringContaining(problem)]);
  });

  it('accepts thresholds at their bounds and a review threshold equal to the confidence threshold', () => {
    // Act
    const parsed = parseStationRegistry(
      {
        stations: [
          station({ confidenceThreshold: 0, reviewThreshold: 0 }),
          station({ id: 'b', confidenceThreshold: 1, reviewThreshold: 1 }),
          station({ id: 'c', reviewThreshold: 0.9 }),
          station({ id: 'd', confidenceThreshold: 0.6, reviewThreshold: 0.6 }),
        ],
      },
      US,
    );

    // Assess
    expect(parsed.map(({ confidenceThreshold, reviewThreshold }) => [confidenceThreshold, reviewThreshold])).toEqual([
      [0, 0],
      [1, 1],
      [undefined, 0.9],
      [0.6, 0.6],
    ]);
  });

  it.each([
    ['no stations key', {}],
    ['a station without a ladder', { stations: [station({ escalation: [] })] }],
    ['an id with a space', { stations: [station({ id: 'litho 3' })] }],
    ['a level without contacts', { stations: [station({ escalation: [{ name: 'Empty', contacts: [] }] })] }],
    ['not an object', 'stations'],
  ])('refuses %s, naming every problem', (_label, value) => {
    // Act
    const problems = problemsOf(value);

    // Assess
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^(\(file\)|stations)[^:]*: /);
  });

  it('names every problem of a file at once', () => {
    // Act
    const problems = problemsOf({
      stations: [station({ name: 'A & B', confidenceThreshold: 2 }), station({ id: 'x', escalation: [{ name: 'Op', phone: '+4420718387500' }] })],
    });

    // Assess
    expect(problems).toEqual([expect.stringContaining('stations.0.name'), expect.stringContaining('stations.0.confidenceThreshold')]);
  });
});

describe('parseStoredStation', () => {
  it('applies the import rules to a station read back, so a hand-edited number is refused', () => {
    // Prepare
    const [stored] = parseStationRegistry({ stations: [station()] }, US);
    const edited = { ...stored, escalation: [{ contacts: [{ name: 'Op', phone: '+882123456789' }] }] };

    // Act
    const readBack = parseStoredStation(stored, US);
    const refused = () => parseStoredStation(edited, US);

    // Assess
    expect(readBack).toEqual(stored);
    expect(refused).toThrow(StationRegistryError);
    expect(refused).toThrow(/stations\.0\.escalation\.0\.contacts\.0\.phone: the number is outside/);
  });
});

describe('defaultStation', () => {
  it('is one level of one contact: the configured operator', () => {
    // Act
    const station = defaultStation('+447700900123');

    // Assess
    expect(station).toEqual({
      id: 'default',
      name: 'the default station',
      escalation: [{ name: 'Operator', contacts: [{ name: 'Operator', phone: '+447700900123' }] }],
    });
    expect(parseStoredStation(station, ['+44'])).toEqual(station);
  });
});

describe('isOnShift', () => {
  const contact = (...shifts: ShiftWindow[]): EscalationContact => ({ name: 'Op', phone: '+15555550100', shifts });
  // 2026-11-26 is a Thursday. Berlin is UTC+1 in November and UTC+2 in July; Los Angeles UTC-8 in November; Tokyo UTC+9.
  const at = (iso: string) => new Date(iso);

  it('is always on shift without shifts', () => {
    // Assess
    expect(isOnShift({ name: 'Op', phone: '+15555550100' }, at('2026-11-29T03:00:00Z'))).toBe(true);
    expect(isOnShift({ name: 'Op', phone: '+15555550100', shifts: [] }, at('2026-11-29T03:00:00Z'))).toBe(true);
  });

  it('holds a weekday day window in local time: from inclusive, to exclusive, listed days only', () => {
    // Prepare
    const day = contact({ timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '06:00', to: '18:00' });

    // Assess
    expect(isOnShift(day, at('2026-11-26T04:59:00Z'))).toBe(false); // Thu 05:59 Berlin
    expect(isOnShift(day, at('2026-11-26T05:00:00Z'))).toBe(true); // Thu 06:00
    expect(isOnShift(day, at('2026-11-26T16:59:00Z'))).toBe(true); // Thu 17:59
    expect(isOnShift(day, at('2026-11-26T17:00:00Z'))).toBe(false); // Thu 18:00
    expect(isOnShift(day, at('2026-11-28T10:00:00Z'))).toBe(false); // Sat 11:00
    // The zone's own rules: 04:30 UTC is 06:30 in a Berlin summer, 05:30 in its winter.
    expect(isOnShift(day, at('2026-07-02T04:30:00Z'))).toBe(true);
    expect(isOnShift(day, at('2026-11-26T04:30:00Z'))).toBe(false);
  });

  it('runs an overnight window across midnight', () => {
    // Prepare
    const night = contact({ timeZone: 'Europe/Berlin', from: '22:00', to: '06:00' });

    // Assess
    expect(isOnShift(night, at('2026-11-26T20:59:00Z'))).toBe(false); // Thu 21:59
    expect(isOnShift(night, at('2026-11-26T21:00:00Z'))).toBe(true); // Thu 22:00
    expect(isOnShift(night, at('2026-11-26T23:30:00Z'))).toBe(true); // Fri 00:30
    expect(isOnShift(night, at('2026-11-27T04:59:00Z'))).toBe(true); // Fri 05:59
    expect(isOnShift(night, at('2026-11-27T05:00:00Z'))).toBe(false); // Fri 06:00
    expect(isOnShift(night, at('2026-11-27T11:00:00Z'))).toBe(false); // Fri 12:00
  });

  it('keeps an overnight window on the day it starts: a Friday night shift covers early Saturday, not early Friday', () => {
    // Prepare
    const fridayNight = contact({ timeZone: 'Europe/Berlin', days: ['fri'], from: '22:00', to: '06:00' });
    const sundayNight = contact({ timeZone: 'Europe/Berlin', days: ['sun'], from: '22:00', to: '06:00' });

    // Assess
    expect(isOnShift(fridayNight, at('2026-11-27T02:00:00Z'))).toBe(false); // Fri 03:00 (Thursday night)
    expect(isOnShift(fridayNight, at('2026-11-27T22:00:00Z'))).toBe(true); // Fri 23:00
    expect(isOnShift(fridayNight, at('2026-11-28T02:00:00Z'))).toBe(true); // Sat 03:00
    expect(isOnShift(fridayNight, at('2026-11-28T22:00:00Z'))).toBe(false); // Sat 23:00
    expect(isOnShift(fridayNight, at('2026-11-29T02:00:00Z'))).toBe(false); // Sun 03:00
    // Sunday to Monday wraps round the week.
    expect(isOnShift(sundayNight, at('2026-11-30T01:00:00Z'))).toBe(true); // Mon 02:00
    expect(isOnShift(sundayNight, at('2026-11-24T01:00:00Z'))).toBe(false); // Tue 02:00
  });

  it('reads the weekday and time in the time zone of each window', () => {
    // Prepare: one instant, Thursday 18:00 in Los Angeles and Friday 11:00 in Tokyo
    const instant = at('2026-11-27T02:00:00Z');
    const fridayInTokyo = contact({ timeZone: 'Asia/Tokyo', days: ['fri'], from: '09:00', to: '17:00' });
    const fridayInLosAngeles = contact({ timeZone: 'America/Los_Angeles', days: ['fri'], from: '09:00', to: '17:00' });
    const eveningInLosAngeles = contact({ timeZone: 'America/Los_Angeles', from: '17:00', to: '01:00' });
    const either = contact({ timeZone: 'America/Los_Angeles', from: '09:00', to: '17:00' }, { timeZone: 'Asia/Tokyo', from: '09:00', to: '17:00' });

    // Assess
    expect(isOnShift(fridayInTokyo, instant)).toBe(true);
    expect(isOnShift(fridayInLosAngeles, instant)).toBe(false);
    expect(isOnShift(eveningInLosAngeles, instant)).toBe(true);
    expect(isOnShift(either, instant)).toBe(true); // inside the Tokyo window
    expect(isOnShift(either, at('2026-11-26T22:00:00Z'))).toBe(true); // Thu 14:00 in Los Angeles
    expect(isOnShift(either, at('2026-11-26T12:00:00Z'))).toBe(false); // Thu 04:00 in Los Angeles, Thu 21:00 in Tokyo
  });

  it('treats from = to as the whole day from that time on the listed days', () => {
    // Prepare
    const mondays = contact({ timeZone: 'UTC', days: ['mon'], from: '00:00', to: '00:00' });

    // Assess
    expect(isOnShift(mondays, at('2026-11-30T00:00:00Z'))).toBe(true);
    expect(isOnShift(mondays, at('2026-11-30T23:59:00Z'))).toBe(true);
    expect(isOnShift(mondays, at('2026-12-01T00:00:00Z'))).toBe(false);
  });
});

describe('contactsOnShift', () => {
  it('keeps the contacts of a level on shift at that instant, in order', () => {
    // Prepare
    const day: EscalationContact = { name: 'Day', phone: '+15555550110', shifts: [{ timeZone: 'Europe/Berlin', from: '06:00', to: '18:00' }] };
    const night: EscalationContact = { name: 'Night', phone: '+15555550111', shifts: [{ timeZone: 'Europe/Berlin', from: '18:00', to: '06:00' }] };
    const always: EscalationContact = { name: 'Lead', phone: '+15555550112' };
    const level = { name: 'Operators', contacts: [day, night, always] };

    // Act
    const atNoon = contactsOnShift(level, new Date('2026-11-26T11:00:00Z'));
    const atMidnight = contactsOnShift(level, new Date('2026-11-26T23:00:00Z'));

    // Assess
    expect(atNoon.map((contact) => contact.name)).toEqual(['Day', 'Lead']);
    expect(atMidnight.map((contact) => contact.name)).toEqual(['Night', 'Lead']);
  });
});
