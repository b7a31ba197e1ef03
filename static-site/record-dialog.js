// Record links keep their URL (copy link still works) but open in a dialog: the API wants the signed-in person's token
// in the Authorization header, which a plain navigation cannot carry.
import { describeError } from './messages.js';

/** @import { ApiClient } from './api-client.js' */

/**
 * Open every record link of the page (cards and history) in the record dialog.
 * @param {{ dialog: HTMLDialogElement, title: HTMLElement, status: HTMLElement, json: HTMLElement, close: HTMLButtonElement }} parts
 * @param {ApiClient} api
 */
export function wireRecordDialog({ dialog, title, status, json, close }, api) {
  /** @param {string} inspectionId */
  async function show(inspectionId) {
    title.textContent = `Inspection ${inspectionId}`;
    status.textContent = 'Loading…';
    json.textContent = '';
    if (!dialog.open) dialog.showModal();
    const answer = await api.getRecord(inspectionId);
    if (!answer.ok) {
      status.textContent = describeError(answer.error, answer.status, answer.retryAfter);
      return;
    }
    status.textContent = '';
    json.textContent = JSON.stringify(answer.body, null, 2);
  }

  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a.record-link[data-inspection-id]') : null;
    if (!(link instanceof HTMLAnchorElement) || !link.dataset.inspectionId) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void show(link.dataset.inspectionId);
  });
  close.addEventListener('click', () => dialog.close());
}
