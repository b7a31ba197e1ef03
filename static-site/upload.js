// Choosing and dropping wafer images, and uploading them one at a time (the line's uplink is shared, and verdicts
// arrive in the order chosen), each into its own card. Files chosen together (or while others are still going) make a
// batch: its cards stand in the order they are sent, its summary counts normal / anomalous / refused as they come,
// and its last message says what really happened. The newest batch is on top.
import { batchFinalMessage, batchSummary, timeWords } from './messages.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { CardOutcome, InspectionCard, InspectionCards } from './inspection-card.js' */
/** @import { BatchCounts } from './messages.js' */
/** @import { StationPicker } from './stations.js' */
/** @import { InspectionView } from './types.js' */

/** A file dropped beside the drop zone would otherwise navigate away from the page. */
export function preventStrayDrops() {
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

/** One batch on the page: its heading, summary and cards. */
class Batch {
  /** @type {BatchCounts} */
  counts = { normal: 0, anomalous: 0, 'needs-review': 0, 'not-inspected': 0, refused: 0, already: 0, waiting: 0 };
  static #made = 0;

  constructor() {
    Batch.#made += 1;
    this.section = document.createElement('section');
    this.section.className = 'batch';
    const headingId = `batch-${Batch.#made}`;
    this.section.setAttribute('aria-labelledby', headingId);
    this.heading = document.createElement('h3');
    this.heading.id = headingId;
    this.heading.className = 'batch-title';
    this.heading.tabIndex = -1;
    this.summary = document.createElement('p');
    this.summary.className = 'batch-summary';
    this.list = document.createElement('ol');
    this.list.className = 'results';
    this.list.setAttribute('aria-label', 'Files of this batch, in the order they are sent');
    this.section.append(this.heading, this.summary, this.list);
    this.started = new Date().toISOString();
    this.size = 0;
  }

  /** @param {number} added */
  grow(added) {
    this.size += added;
    this.counts.waiting += added;
    this.render();
  }

  /**
   * @param {CardOutcome} outcome
   * @param {boolean} already
   */
  settle(outcome, already) {
    this.counts.waiting -= 1;
    this.counts[outcome] += 1;
    if (already) this.counts.already += 1;
    this.render();
  }

  render() {
    this.heading.textContent = `${this.size} ${this.size === 1 ? 'file' : 'files'} · ${timeWords(this.started)}`;
    this.summary.textContent = batchSummary(this.counts);
    this.section.dataset.waiting = String(this.counts.waiting);
  }
}

/**
 * Upload every image chosen in `files` or dropped on `dropZone`, in order.
 * @param {{
 *   files: HTMLInputElement,
 *   dropZone: HTMLElement,
 *   station: StationPicker,
 *   status: HTMLElement,
 *   batches: HTMLElement,
 *   cards: InspectionCards,
 *   api: ApiClient,
 *   uploaded(record: InspectionView): void,
 *   afterBatch(): void,
 * }} parts `uploaded` hears each inspection as it is answered; `afterBatch` runs once the queue is empty.
 */
export function wireUploads({ files, dropZone, station, status, batches, cards, api, uploaded, afterBatch }) {
  /** @type {{ file: File, card: InspectionCard, batch: Batch }[]} */
  const queue = [];
  let uploading = false;
  /** The batch files join while the queue is not empty. @type {Batch | undefined} */
  let current;

  /** @param {File[]} chosen */
  function enqueue(chosen) {
    if (chosen.length === 0) return;
    if (station.registry && !station.value()) {
      status.textContent = `Choose your station first, then choose the ${chosen.length === 1 ? 'image' : 'images'} again.`;
      station.control().focus();
      return;
    }
    if (!current) {
      current = new Batch();
      batches.prepend(current.section);
    }
    const batch = current;
    for (const file of chosen) queue.push({ file, card: cards.add(file, batch.list), batch });
    batch.grow(chosen.length);
    status.textContent = `${queue.length} ${queue.length === 1 ? 'image' : 'images'} waiting to be inspected.`;
    void drain();
  }

  async function drain() {
    if (uploading) return;
    uploading = true;
    const batch = current;
    try {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { card, file } = next;
        const done = next.batch.size - next.batch.counts.waiting;
        status.textContent = `Inspecting ${done + 1} of ${next.batch.size}: ${file.name || 'image'}…`;
        card.uploading();
        const answer = await api.upload(file, station.value(), { onProgress: (percent) => card.progress(percent), onSent: () => card.sent() });
        const outcome = card.showAnswer(answer);
        next.batch.settle(outcome, answer.ok && answer.body.alreadyInspected !== undefined);
        if (answer.ok) uploaded(answer.body.record);
      }
    } finally {
      uploading = false;
      current = undefined;
    }
    if (batch) {
      status.textContent = batchFinalMessage(batch.counts);
      batch.section.dataset.done = 'true';
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
