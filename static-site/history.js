// The history: inspections newest first, filtered by station, verdict, decision and date, paged with the API's cursor
// ("Show more"), refreshed by itself while the tab is visible. Each row says who answered the call and what they chose,
// and opens the wafer viewer.
import { alertLine } from './alert-ladder.js';
import { confidencePercent, decisionLine, describeError, errorDetails, timeWords, verdictLabel } from './messages.js';
import { createPoller } from './poller.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { InspectionQuery, InspectionView } from './types.js' */

const PAGE_SIZE = 20;
export const HISTORY_REFRESH_MS = 15_000;

/**
 * The filters as chosen in the form.
 * @typedef {{ station: string, status: string, decision: string, from: string, to: string }} HistoryFilters
 */

/**
 * The query for a set of filters; dates are the local day's start and end.
 * @param {HistoryFilters} filters
 * @returns {InspectionQuery}
 */
export function historyQuery(filters) {
  /** @type {InspectionQuery} */
  const query = { limit: PAGE_SIZE };
  if (filters.station) query.station = filters.station;
  if (filters.status) query.status = /** @type {InspectionQuery['status']} */ (filters.status);
  if (filters.decision) query.decision = /** @type {InspectionQuery['decision']} */ (filters.decision);
  if (filters.from) query.from = new Date(`${filters.from}T00:00:00`).toISOString();
  if (filters.to) query.to = new Date(`${filters.to}T23:59:59.999`).toISOString();
  return query;
}

/**
 * Whether a record passes the filters: the page checks again what it asked for, so an API that does not filter yet
 * shows no row the person filtered out.
 * @param {InspectionView} record
 * @param {InspectionQuery} query
 */
export function matchesQuery(record, query) {
  if (query.station && record.stationId !== query.station) return false;
  if (query.status && record.status !== query.status) return false;
  if (query.decision) {
    const decision = record.decision?.decision ?? (record.alert?.status === 'acknowledged' ? record.alert.acknowledgedBy?.decision : undefined);
    if (query.decision === 'none' ? decision !== undefined : decision !== query.decision) return false;
  }
  if (query.from && record.createdAt < query.from) return false;
  if (query.to && record.createdAt > query.to) return false;
  return true;
}

/**
 * The history panel.
 * @param {{
 *   rows: HTMLTableSectionElement, status: HTMLElement, updated: HTMLElement, more: HTMLButtonElement,
 *   form: HTMLFormElement, station: HTMLSelectElement, verdict: HTMLSelectElement, decision: HTMLSelectElement,
 *   from: HTMLInputElement, to: HTMLInputElement,
 * }} parts
 * @param {ApiClient} api
 * @param {{ stationName(stationId: string): string, stationIds(): string[], openViewer(record: InspectionView, opener: HTMLElement): void }} host
 */
export function createHistory(parts, api, host) {
  /** The rows shown, by inspection id. @type {Map<string, { row: HTMLTableRowElement, record: InspectionView }>} */
  const shown = new Map();
  /** @type {string | null} */
  let nextCursor = null;
  let query = historyQuery(readFilters());
  /** Bumped when the filters change: an answer to older filters is dropped. */
  let generation = 0;
  // Refreshes may overlap (new filters while the last one loads); each sets the timer for the next when it ends.
  const poller = createPoller(refresh, HISTORY_REFRESH_MS);
  /** Station ids seen in rows (the station filter offers them when there is no registry). */
  const seenStations = new Set();

  /** @returns {HistoryFilters} */
  function readFilters() {
    return { station: parts.station.value, status: parts.verdict.value, decision: parts.decision.value, from: parts.from.value, to: parts.to.value };
  }

  /**
   * Load the first page again: new inspections go on top, rows already shown are updated in place, and rows of later
   * pages stay.
   * @param {{ announce?: boolean }} [options]
   */
  async function refresh({ announce = false } = {}) {
    const asked = generation;
    if (announce) parts.status.textContent = 'Loading inspections…';
    const answer = await api.listInspections(query);
    if (asked !== generation) return;
    if (!answer.ok) {
      parts.status.textContent = `The history could not be loaded: ${describeError(answer.error, answer.status, answer.retryAfter)}`;
      console.warn(`GET /inspections: ${errorDetails(answer.error, answer.status)}`);
      return;
    }
    if (shown.size === 0) nextCursor = answer.body.nextCursor;
    merge(answer.body.inspections);
    if (announce || !parts.status.textContent?.startsWith('Showing') || parts.status.textContent.startsWith('Loading')) describe();
    else describeQuietly();
  }

  /** The next page, after the last row shown; focus lands on the first new row. */
  async function more() {
    if (!nextCursor) return;
    const asked = generation;
    parts.more.disabled = true;
    const answer = await api.listInspections({ ...query, cursor: nextCursor });
    parts.more.disabled = false;
    if (asked !== generation) return;
    if (!answer.ok) {
      parts.status.textContent = `More inspections could not be loaded: ${describeError(answer.error, answer.status, answer.retryAfter)}`;
      return;
    }
    nextCursor = answer.body.nextCursor;
    const added = merge(answer.body.inspections);
    describe();
    const first = added[0]?.querySelector('a, button');
    if (first instanceof HTMLElement) first.focus();
    else if (parts.more.hidden) parts.status.focus();
  }

  /**
   * @param {InspectionView[]} records
   * @returns {HTMLTableRowElement[]} the rows added
   */
  function merge(records) {
    const added = [];
    for (const record of records) {
      if (!matchesQuery(record, query)) continue;
      seenStations.add(record.stationId);
      const entry = shown.get(record.inspectionId);
      if (entry) {
        entry.record = record;
        fillRow(entry.row, record);
      } else {
        const row = makeRow(record);
        shown.set(record.inspectionId, { row, record });
        added.push(row);
      }
    }
    const ordered = [...shown.values()].sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt)).map((entry) => entry.row);
    const current = [...parts.rows.children];
    if (ordered.length !== current.length || ordered.some((row, index) => row !== current[index])) parts.rows.replaceChildren(...ordered);
    parts.more.hidden = !nextCursor;
    offerStations();
    return added;
  }

  function describe() {
    const count = shown.size;
    parts.status.textContent =
      count === 0
        ? filtered()
          ? 'No inspections match these filters.'
          : 'No inspections yet.'
        : `Showing ${count} inspection${count === 1 ? '' : 's'}${filtered() ? ' that match the filters' : ''}${nextCursor ? '' : count > PAGE_SIZE ? ', all there are' : ''}.`;
    describeQuietly();
  }

  function describeQuietly() {
    parts.updated.textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}; refreshes by itself.`;
  }

  function filtered() {
    return Boolean(query.station || query.status || query.decision || query.from || query.to);
  }

  /** The station filter's choices: the registry's, or those seen. */
  function offerStations() {
    const ids = [...new Set([...host.stationIds(), ...seenStations])].sort((a, b) => host.stationName(a).localeCompare(host.stationName(b)));
    const text = ids.join('\n');
    if (parts.station.dataset.ids === text) return;
    parts.station.dataset.ids = text;
    const chosen = parts.station.value;
    parts.station.replaceChildren(new Option('All stations', ''), ...ids.map((id) => new Option(host.stationName(id), id)));
    parts.station.value = chosen;
  }

  function filtersChanged() {
    generation += 1;
    query = historyQuery(readFilters());
    shown.clear();
    parts.rows.replaceChildren();
    nextCursor = null;
    poller.refresh({ announce: true });
  }

  /**
   * @param {InspectionView} record
   * @returns {HTMLTableRowElement}
   */
  function makeRow(record) {
    const row = document.createElement('tr');
    for (const label of ['When', 'Station', 'Verdict', 'Confidence', 'Operator alert', 'Decision', 'Wafer']) {
      const cell = document.createElement('td');
      cell.dataset.label = label;
      row.append(cell);
    }
    const link = document.createElement('a');
    link.href = api.recordUrl(record.inspectionId);
    link.dataset.inspectionId = record.inspectionId;
    link.textContent = 'Look closer';
    link.className = 'record-link';
    link.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      host.openViewer(shown.get(record.inspectionId)?.record ?? record, link);
    });
    row.cells[6]?.append(link);
    fillRow(row, record);
    return row;
  }

  /**
   * @param {HTMLTableRowElement} row
   * @param {InspectionView} record
   */
  function fillRow(row, record) {
    row.dataset.inspectionId = record.inspectionId;
    row.dataset.status = record.status;
    const percent = confidencePercent(record.detection);
    const texts = [
      timeWords(record.createdAt),
      host.stationName(record.stationId),
      verdictLabel(record.status),
      percent === undefined ? '—' : `${percent}%`,
      alertLine(record),
      decisionLine(record) || '—',
    ];
    texts.forEach((text, index) => {
      const cell = row.cells[index];
      if (cell && cell.textContent !== text) cell.textContent = text;
    });
    row.cells[2]?.setAttribute('class', `verdict-cell verdict-${record.status}`);
    const link = row.cells[6]?.querySelector('a');
    link?.setAttribute('aria-label', `Look closer at the wafer of ${timeWords(record.createdAt)} on ${host.stationName(record.stationId)}`);
  }

  for (const control of [parts.station, parts.verdict, parts.decision, parts.from, parts.to]) control.addEventListener('change', filtersChanged);
  parts.form.addEventListener('submit', (event) => event.preventDefault());
  parts.form.addEventListener('reset', () => setTimeout(filtersChanged));
  parts.more.addEventListener('click', () => void more());

  return {
    start: () => poller.start({ announce: true }),
    refresh: () => poller.refresh(),
    /** The station list arrived: rows and the filter say station names. */
    stationsChanged() {
      for (const { row, record } of shown.values()) fillRow(row, record);
      offerStations();
    },
    /**
     * A record changed elsewhere on the page (an alert settled, a label): its row shows it at once.
     * @param {InspectionView} record
     */
    update(record) {
      const entry = shown.get(record.inspectionId);
      if (!entry) return;
      entry.record = record;
      fillRow(entry.row, record);
    },
  };
}
