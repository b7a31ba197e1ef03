// Choosing and dropping wafer images, and uploading them one at a time (the line's uplink is shared, and verdicts
// arrive in the order chosen), each into its own card. The station field is remembered on this device.

/** @import { ApiClient } from './api-client.js' */
/** @import { InspectionCard, InspectionCards } from './inspection-card.js' */

const STATION_KEY = 'waferwatch.station';

/**
 * Fill the station field from this device's memory and remember what is typed into it.
 * @param {HTMLInputElement} input
 */
export function rememberStation(input) {
  try {
    input.value = localStorage.getItem(STATION_KEY) ?? '';
  } catch {
    // Private browsing can forbid storage; the field still works for this visit.
  }
  input.addEventListener('change', () => {
    try {
      localStorage.setItem(STATION_KEY, input.value.trim());
    } catch {
      // See above.
    }
  });
}

/** A file dropped beside the drop zone would otherwise navigate away from the page. */
export function preventStrayDrops() {
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

/**
 * Upload every image chosen in `files` or dropped on `dropZone`, in order.
 * @param {{
 *   files: HTMLInputElement,
 *   dropZone: HTMLElement,
 *   station: HTMLInputElement,
 *   status: HTMLElement,
 *   cards: InspectionCards,
 *   api: ApiClient,
 *   afterBatch(): void,
 * }} parts `afterBatch` runs once the queue is empty.
 */
export function wireUploads({ files, dropZone, station, status, cards, api, afterBatch }) {
  /** @type {{ file: File, card: InspectionCard }[]} */
  const queue = [];
  let uploading = false;

  /** @param {File[]} chosen */
  function enqueue(chosen) {
    if (chosen.length === 0) return;
    for (const file of chosen) queue.push({ file, card: cards.add(file) });
    status.textContent = `${queue.length} image(s) waiting to upload.`;
    void drain();
  }

  async function drain() {
    if (uploading) return;
    uploading = true;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        status.textContent = `Uploading ${next.file.name}… ${queue.length} more waiting.`;
        const { card } = next;
        card.uploading();
        card.showAnswer(await api.upload(next.file, station.value.trim(), { onProgress: (percent) => card.progress(percent), onSent: () => card.sent() }));
      }
      status.textContent = 'All images uploaded.';
    } finally {
      uploading = false;
    }
    afterBatch();
  }

  files.addEventListener('change', () => {
    enqueue([...(files.files ?? [])]);
    // Let the same file be chosen again.
    files.value = '';
  });
  for (const type of ['dragenter', 'dragover']) {
    dropZone.addEventListener(type, (event) => {
      event.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'dragend']) dropZone.addEventListener(type, () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    enqueue([...(event.dataTransfer?.files ?? [])]);
  });
}
