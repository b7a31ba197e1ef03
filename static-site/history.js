// The recent inspections table: time, station, verdict, confidence, the operator-alert line and a link to the record.
import { alertLine } from './alert-ladder.js';
import { confidencePercent, describeError, verdictLabel } from './messages.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { InspectionView } from './types.js' */

const HISTORY_LENGTH = 20;

/**
 * The history table, filled from the API on `refresh()`.
 * @param {HTMLTableSectionElement} rows
 * @param {HTMLElement} status
 * @param {ApiClient} api
 */
export function createHistory(rows, status, api) {
  async function refresh() {
    status.textContent = 'Loading recent inspections…';
    const answer = await api.listRecent(HISTORY_LENGTH);
    if (!answer.ok) {
      status.textContent = describeError(answer.error, answer.status, answer.retryAfter);
      return;
    }
    rows.replaceChildren(...answer.body.map((record) => historyRow(record, api)));
    status.textContent = answer.body.length === 0 ? 'No inspections yet.' : `${answer.body.length} most recent inspection(s).`;
  }
  return { refresh };
}

/**
 * @param {InspectionView} record
 * @param {ApiClient} api
 * @returns {HTMLTableRowElement}
 */
function historyRow(record, api) {
  const row = document.createElement('tr');
  row.dataset.inspectionId = record.inspectionId;
  row.dataset.status = record.status;
  /**
   * @param {string} text
   * @param {string} [className]
   */
  const cell = (text, className) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  };
  const created = new Date(record.createdAt);
  cell(Number.isNaN(created.getTime()) ? '—' : created.toLocaleString());
  cell(record.stationId ?? '—');
  cell(verdictLabel(record.status), `verdict-cell verdict-${record.status}`);
  const percent = confidencePercent(record.detection);
  cell(percent === undefined ? '—' : `${percent}%`);
  cell(alertLine(record));
  const link = document.createElement('a');
  link.href = api.recordUrl(record.inspectionId);
  link.dataset.inspectionId = record.inspectionId;
  link.textContent = record.inspectionId;
  link.className = 'mono record-link';
  link.setAttribute('aria-label', `Record of inspection ${record.inspectionId}`);
  cell('').append(link);
  return row;
}
