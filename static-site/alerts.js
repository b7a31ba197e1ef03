// Open alerts, first on the page: every alert nobody has acknowledged yet (waiting to call, ringing its escalation
// ladder, or rung through with nobody answering), grouped by station, each with its ladder's progress, live. The page
// asks GET /inspections?alert=open every few seconds while the tab is visible, and not at all while it is hidden. An
// alert that is acknowledged leaves the list: the page says who answered and what they chose, and the history shows it.
import { describeLadder } from './alert-ladder.js';
import { confidencePercent, decisionLine, describeError, errorDetails, timeWords } from './messages.js';
import { createPoller } from './poller.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { AlertView, InspectionView, LadderAttempt } from './types.js' */

/** Polite polling: a ladder step lasts tens of seconds; four seconds shows each one in time. */
export const ALERTS_POLL_MS = 4_000;
const OPEN_STATUSES = new Set(['queued', 'ringing', 'unacknowledged']);

/**
 * Whether an alert still waits for a person: queued, ringing, or rung through without anybody answering.
 * @param {AlertView | undefined} alert
 */
export function alertOpen(alert) {
  return alert !== undefined && OPEN_STATUSES.has(alert.status);
}

/**
 * How an open alert stands, in a few words: "Waiting to call", "Ringing level 2 of 3", "Nobody answered".
 * @param {AlertView} alert
 * @param {number | undefined} levels how many levels the station's ladder has, when known
 * @returns {string}
 */
export function alertHeadline(alert, levels) {
  if (alert.status === 'queued') return 'Calling soon';
  if (alert.status === 'unacknowledged') return 'Nobody answered';
  if (alert.status === 'ringing') {
    const of = levels && levels > 1 ? ` of ${levels}` : '';
    const round = alert.loop > 1 ? `, round ${alert.loop}` : '';
    return `Ringing level ${alert.level}${of}${round}`;
  }
  return 'Open';
}

/**
 * The ladder's steps, one per level and round rung so far: who, and how it went.
 * @param {AlertView} alert
 * @returns {{ level: number, loop: number, who: string, how: string, state: 'current' | 'missed' | 'answered' }[]}
 */
export function ladderSteps(alert) {
  const attempts = 'attempts' in alert && Array.isArray(alert.attempts) ? alert.attempts : [];
  /** @type {{ level: number, loop: number, attempts: LadderAttempt[] }[]} */
  const groups = [];
  for (const attempt of attempts) {
    const last = groups.at(-1);
    if (last && last.level === attempt.level && last.loop === attempt.loop) last.attempts.push(attempt);
    else groups.push({ level: attempt.level, loop: attempt.loop, attempts: [attempt] });
  }
  return groups.map((group) => {
    const live = group.attempts.some((attempt) => attempt.outcome === 'ringing' || attempt.outcome === 'answered');
    const answered = group.attempts.some((attempt) => attempt.outcome === 'acknowledged');
    const how = live
      ? group.attempts.some((attempt) => attempt.outcome === 'answered')
        ? 'on the phone, deciding…'
        : 'ringing now'
      : answered
        ? 'answered'
        : missedWords(group.attempts);
    return {
      level: group.level,
      loop: group.loop,
      who: group.attempts.map((attempt) => attempt.contactName || 'the operator').join(', '),
      how,
      state: live ? 'current' : answered ? 'answered' : 'missed',
    };
  });
}

/** @param {LadderAttempt[]} attempts */
function missedWords(attempts) {
  const words = {
    'no-answer': 'no answer',
    busy: 'declined or busy',
    voicemail: 'voicemail',
    'ended-without-key': 'hung up without a key',
    'not-started': 'could not be called',
    unconfirmed: 'may have rung',
  };
  const said = [...new Set(attempts.map((attempt) => /** @type {Record<string, string>} */ (words)[attempt.outcome] ?? 'no answer'))];
  return said.join(', ');
}

/**
 * The open-alerts panel.
 * @param {{ list: HTMLElement, status: HTMLElement, count: HTMLElement, heading: HTMLElement, panel: HTMLElement }} parts
 * @param {ApiClient} api
 * @param {{
 *   stationName(stationId: string): string,
 *   stationLevels(stationId: string): number | undefined,
 *   openViewer(record: InspectionView, opener: HTMLElement): void,
 *   changed(record: InspectionView): void,
 *   settled(record: InspectionView): void,
 * }} host `changed` hears every record seen, `settled` each alert that left the list (with its record as it is now)
 */
export function createAlerts(parts, api, host) {
  /** inspectionId → its card and the record shown. @type {Map<string, { card: HTMLElement, record: InspectionView }>} */
  const shown = new Map();
  // One poll at a time: a poll asked while another waits for its answer is dropped.
  const poller = createPoller(poll, ALERTS_POLL_MS, { overlap: 'skip' });

  async function poll() {
    const answer = await api.listInspections({ alert: 'open', limit: 100 });
    if (!answer.ok) {
      parts.status.textContent = `Open alerts could not be loaded: ${describeError(answer.error, answer.status, answer.retryAfter)}`;
      console.warn(`GET /inspections?alert=open: ${errorDetails(answer.error, answer.status)}`);
      return;
    }
    // An API that does not filter yet answers every recent inspection: the page keeps the open ones.
    const open = answer.body.inspections.filter((record) => alertOpen(record.alert));
    for (const record of answer.body.inspections) host.changed(record);
    render(open);
  }

  /** @param {InspectionView[]} open */
  function render(open) {
    const ids = new Set(open.map((record) => record.inspectionId));
    for (const [inspectionId, { card }] of shown) {
      if (ids.has(inspectionId)) continue;
      const hadFocus = card.contains(document.activeElement);
      shown.delete(inspectionId);
      card.remove();
      if (hadFocus) parts.heading.focus();
      void settle(inspectionId);
    }
    // Oldest first within a station: the alert waiting longest is on top.
    const sorted = [...open].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const record of sorted) {
      const entry = shown.get(record.inspectionId);
      if (entry) {
        entry.record = record;
        fill(entry.card, record);
      } else {
        const card = makeCard(record);
        shown.set(record.inspectionId, { card, record });
        fill(card, record);
      }
    }
    // Stations in the order of their oldest open alert; cards in each by age.
    /** @type {Map<string, InspectionView[]>} */
    const byStation = new Map();
    for (const record of sorted) byStation.set(record.stationId, [...(byStation.get(record.stationId) ?? []), record]);
    const groups = [...byStation].map(([stationId, records]) => stationGroup(stationId, records));
    const existing = [...parts.list.children];
    if (groups.length !== existing.length || groups.some((group, index) => group !== existing[index])) parts.list.replaceChildren(...groups);
    for (const group of [...parts.list.querySelectorAll('.alert-station')]) if (!groups.includes(/** @type {HTMLElement} */ (group))) group.remove();

    const count = open.length;
    const ringing = open.filter((record) => record.alert.status === 'ringing').length;
    parts.panel.dataset.open = String(count);
    parts.panel.dataset.ringing = String(ringing);
    const text = count === 0 ? 'None' : `${count} open`;
    if (parts.count.textContent !== text) parts.count.textContent = text;
    if (count === 0 && !parts.status.textContent)
      parts.status.textContent = 'No open alerts. An anomalous wafer that calls someone shows here until a person answers.';
    else if (count > 0 && parts.status.textContent?.startsWith('No open alerts')) parts.status.textContent = '';
  }

  /** One station's group, reused while it has open alerts. @type {Map<string, HTMLElement>} */
  const stationGroups = new Map();

  /**
   * @param {string} stationId
   * @param {InspectionView[]} records
   */
  function stationGroup(stationId, records) {
    let group = stationGroups.get(stationId);
    if (!group) {
      const headingId = `alerts-station-${stationGroups.size + 1}`;
      group = element('section', '', 'alert-station');
      group.setAttribute('aria-labelledby', headingId);
      const heading = element('h3', '', 'alert-station-name');
      heading.id = headingId;
      group.append(heading, element('ol', '', 'alert-cards'));
      stationGroups.set(stationId, group);
    }
    const heading = /** @type {HTMLElement} */ (group.querySelector('h3'));
    const name = `${host.stationName(stationId)} · ${records.length} open`;
    if (heading.textContent !== name) heading.textContent = name;
    group.dataset.stationId = stationId;
    const list = /** @type {HTMLElement} */ (group.querySelector('ol'));
    const cards = records.flatMap((record) => shown.get(record.inspectionId)?.card ?? []);
    const current = [...list.children];
    if (cards.length !== current.length || cards.some((card, index) => card !== current[index])) list.replaceChildren(...cards);
    return group;
  }

  /** @param {InspectionView} record */
  function makeCard(record) {
    const card = element('li', '', 'alert-card');
    card.dataset.inspectionId = record.inspectionId;
    const headline = element('p', '', 'alert-headline');
    const wafer = element('p', '', 'alert-wafer');
    const now = element('p', '', 'ladder-now');
    const steps = element('ol', '', 'ladder');
    steps.setAttribute('aria-label', 'Calls so far');
    const look = element('button', 'Look at the wafer', 'secondary look');
    look.setAttribute('type', 'button');
    look.addEventListener('click', () => {
      const entry = shown.get(record.inspectionId);
      host.openViewer(entry?.record ?? record, look);
    });
    card.append(headline, wafer, now, steps, look);
    return card;
  }

  /**
   * @param {HTMLElement} card
   * @param {InspectionView} record
   */
  function fill(card, record) {
    const alert = record.alert;
    card.dataset.alertStatus = alert.status;
    setText(card, '.alert-headline', alertHeadline(alert, host.stationLevels(record.stationId)));
    const percent = confidencePercent(record.detection);
    setText(card, '.alert-wafer', `Anomalous wafer at ${timeWords(record.createdAt)}${percent === undefined ? '' : ` · ${percent}% sure`}`);
    const steps = ladderSteps(alert);
    // The steps tell the ladder; before the first call, a line says what happens.
    setText(card, '.ladder-now', steps.length === 0 ? 'Waiting for the first call…' : describeLadder(alert));
    card.querySelector('.ladder-now')?.classList.toggle('visually-hidden', steps.length > 0);
    const list = /** @type {HTMLElement} */ (card.querySelector('.ladder'));
    const text = JSON.stringify(steps);
    if (list.dataset.steps !== text) {
      list.dataset.steps = text;
      list.replaceChildren(
        ...steps.map((step) => {
          const item = element('li', '', `ladder-step ladder-${step.state}`);
          item.append(element('span', `Level ${step.level}${step.loop > 1 ? ` (round ${step.loop})` : ''}`, 'ladder-level'), ` ${step.who}: ${step.how}`);
          if (step.state === 'current') item.setAttribute('aria-current', 'step');
          return item;
        }),
      );
    }
    const look = card.querySelector('.look');
    look?.setAttribute('aria-label', `Look at the wafer of ${timeWords(record.createdAt)} on ${host.stationName(record.stationId)}`);
  }

  /**
   * An alert left the list: say who answered and what they chose (or how else it ended), and tell the page.
   * @param {string} inspectionId
   */
  async function settle(inspectionId) {
    const answer = await api.getRecord(inspectionId);
    if (!answer.ok) return;
    const record = answer.body;
    const station = host.stationName(record.stationId);
    const who = decisionLine(record);
    parts.status.textContent = who
      ? `${station}, wafer of ${timeWords(record.createdAt)}: ${who}. It is in the history below.`
      : `${station}, wafer of ${timeWords(record.createdAt)}: the alert is closed. It is in the history below.`;
    host.changed(record);
    host.settled(record);
  }

  return {
    start: () => poller.start(),
    /** Ask now (an upload just queued an alert, or a call rang or ended). */
    refresh: () => poller.refresh(),
  };
}

/**
 * @param {HTMLElement} root
 * @param {string} selector
 * @param {string} text
 */
function setText(root, selector, text) {
  const node = root.querySelector(selector);
  if (node && node.textContent !== text) node.textContent = text;
}

/**
 * @param {string} tag
 * @param {string} text
 * @param {string} className
 * @returns {HTMLElement}
 */
function element(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  node.className = className;
  return node;
}
