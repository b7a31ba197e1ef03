// One card per uploaded image: its preview (a click opens the wafer viewer), upload progress, verdict, confidence,
// anomaly areas, "already inspected at 02:58 on litho-3" for bytes sent before, any refusal in words (its code only
// under "Engineer details"), and the operator-alert line, which the open-alerts poll keeps up to date.
import { alertLine } from './alert-ladder.js';
import { cloneTemplate, part } from './dom.js';
import { alreadyInspectedWords, confidencePercent, describeError, errorDetails, timeWords, verdictLabel } from './messages.js';
import { rememberPhoto } from './viewer.js';

/** @import { ApiAnswer, ApiClient, UploadResult } from './api-client.js' */
/** @import { InspectionView } from './types.js' */

/**
 * How a card ended, for its batch's summary.
 * @typedef {'normal' | 'anomalous' | 'needs-review' | 'not-inspected' | 'refused'} CardOutcome
 */

/** Every card of the page, so a record seen anywhere (an alert moved on) updates the cards of its inspection. */
export class InspectionCards {
  /** @type {InspectionCard[]} */
  #cards = [];

  /**
   * @param {HTMLTemplateElement} template the card's markup (index.html #result-template)
   * @param {ApiClient} api
   * @param {{ stationName(stationId: string): string, recordUrl(inspectionId: string): string, openViewer(inspectionId: string, opener: HTMLElement, record: InspectionView | undefined, photoUrl: string | undefined): void }} host
   */
  constructor(template, api, host) {
    this.template = template;
    this.api = api;
    this.host = host;
  }

  /**
   * A new card for an image about to be uploaded, at the end of `list` (cards stand in the order files are sent).
   * @param {File} file
   * @param {HTMLOListElement} list
   */
  add(file, list) {
    const card = new InspectionCard(file, this.template, this.host);
    list.append(card.item);
    this.#cards.push(card);
    return card;
  }

  /**
   * A record seen elsewhere on the page: the cards of its inspection show its alert as it is now.
   * @param {InspectionView} record
   */
  update(record) {
    for (const card of this.#cards) if (card.inspectionId === record.inspectionId) card.showAlert(record);
  }

  /**
   * Show how the alert stands now on the cards of this inspection (a call about it rang or ended).
   * @param {string} inspectionId
   */
  async refreshAlert(inspectionId) {
    if (!this.#cards.some((card) => card.inspectionId === inspectionId)) return;
    // A call can ring a moment before its ladder is written to the record: look again, briefly, while it says queued.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
      const answer = await this.api.getRecord(inspectionId);
      // On failure the next poll of the open alerts catches up.
      if (!answer.ok) return;
      this.update(answer.body);
      if (answer.body.alert?.status !== 'queued') return;
    }
  }
}

export class InspectionCard {
  /** Set once the API has answered with the inspection (or named the one it saved). @type {string | undefined} */
  inspectionId;
  /** @type {InspectionView | undefined} */
  record;
  /** An object URL of the file, while the browser can show it. @type {string | undefined} */
  previewUrl;

  /**
   * @param {File} file
   * @param {HTMLTemplateElement} template
   * @param {InspectionCards['host']} host
   */
  constructor(file, template, host) {
    this.host = host;
    const item = cloneTemplate(template);
    this.item = item;
    this.figure = part(item, '.figure', HTMLElement);
    this.preview = part(item, '.preview', HTMLImageElement);
    this.mask = part(item, '.mask', HTMLImageElement);
    this.progressBar = part(item, '.upload-progress', HTMLProgressElement);
    this.status = part(item, '.result-status', HTMLElement);
    this.verdict = part(item, '.verdict', HTMLElement);
    this.confidence = part(item, '.confidence', HTMLElement);
    this.confidenceBar = part(item, '.confidence-bar', HTMLElement);
    this.confidenceFill = part(item, '.confidence-fill', HTMLElement);
    this.confidenceValue = part(item, '.confidence-value', HTMLElement);
    this.already = part(item, '.already', HTMLElement);
    this.alreadyText = part(item, '.already-text', HTMLElement);
    this.alreadyLink = part(item, '.already-link', HTMLAnchorElement);
    this.maskToggle = part(item, '.mask-toggle', HTMLLabelElement);
    this.alertLine = part(item, '.alert-line', HTMLElement);
    this.error = part(item, '.error', HTMLElement);
    this.details = part(item, '.card-details', HTMLElement);
    this.detailsText = part(item, '.details-text', HTMLElement);
    this.recordLink = part(item, '.look-closer', HTMLAnchorElement);

    const name = file.name || 'image';
    part(item, '.file-name', HTMLElement).textContent = name;
    this.preview.alt = `Preview of ${name}`;
    this.progressBar.setAttribute('aria-label', `Upload progress of ${name}`);
    this.recordLink.setAttribute('aria-label', `Look closer at ${name}`);
    const previewUrl = URL.createObjectURL(file);
    this.previewUrl = previewUrl;
    this.preview.src = previewUrl;
    this.preview.addEventListener('error', () => {
      // Not an image the browser can show; the server will say why it is refused.
      this.preview.removeAttribute('src');
      this.preview.alt = '';
      this.preview.hidden = true;
      this.previewUrl = undefined;
      URL.revokeObjectURL(previewUrl);
    });
    const showMask = part(this.maskToggle, 'input', HTMLInputElement);
    showMask.addEventListener('change', () => {
      this.mask.hidden = !showMask.checked;
    });
    // A click on the picture opens the viewer; keyboard users have the "Look closer" link beside it.
    this.figure.addEventListener('click', () => this.#openViewer(this.recordLink));
    for (const link of [this.recordLink, this.alreadyLink]) {
      link.addEventListener('click', (event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        this.#openViewer(link);
      });
    }
  }

  /** @param {HTMLElement} opener */
  #openViewer(opener) {
    if (!this.inspectionId) return;
    this.host.openViewer(this.inspectionId, opener, this.record, this.previewUrl);
  }

  uploading() {
    this.item.dataset.state = 'uploading';
    this.status.textContent = 'Uploading…';
  }

  /** @param {number} percent */
  progress(percent) {
    this.progressBar.value = percent;
  }

  /** The bytes are sent; the server is inspecting them. */
  sent() {
    this.progressBar.value = 100;
    this.status.textContent = 'Inspecting…';
  }

  /**
   * The API's answer to the upload: the verdict, or why there is none.
   * @param {ApiAnswer<UploadResult>} answer
   * @returns {CardOutcome}
   */
  showAnswer(answer) {
    this.progressBar.hidden = true;
    if (answer.ok) {
      this.#showVerdict(answer.body.record);
      if (answer.body.alreadyInspected) {
        const earlier = answer.body.alreadyInspected;
        this.item.dataset.already = 'true';
        this.already.hidden = false;
        this.alreadyText.textContent = `${alreadyInspectedWords(earlier, (id) => this.host.stationName(id))}.`;
        this.alreadyLink.href = this.host.recordUrl(earlier.inspectionId);
        this.alreadyLink.dataset.inspectionId = earlier.inspectionId;
        this.alreadyLink.setAttribute('aria-label', `See that inspection, of ${timeWords(earlier.at)}`);
        this.inspectionId = earlier.inspectionId;
        this.status.textContent = 'The same image as before: no new inspection, and nobody is called again.';
      }
      return /** @type {CardOutcome} */ (answer.body.record.status);
    }
    const { error } = answer;
    this.item.dataset.state = 'failed';
    this.status.textContent = 'Refused';
    this.#showError(describeError(error, answer.status, answer.retryAfter));
    this.details.hidden = false;
    this.detailsText.textContent = errorDetails(error, answer.status);
    if (error?.inspectionId) {
      this.inspectionId = error.inspectionId;
      this.#linkRecord(error.inspectionId);
    }
    return 'refused';
  }

  /**
   * The alert line as the record says it now.
   * @param {InspectionView} record
   */
  showAlert(record) {
    if (this.record && this.record.inspectionId === record.inspectionId)
      this.record = {
        ...record,
        ...(this.record.anomalyMaskDataUrl && !record.anomalyMaskDataUrl ? { anomalyMaskDataUrl: this.record.anomalyMaskDataUrl } : {}),
      };
    const text = alertLine(record);
    if (this.alertLine.textContent !== text) this.alertLine.textContent = text;
  }

  /** @param {InspectionView} record */
  #showVerdict(record) {
    this.inspectionId = record.inspectionId;
    this.record = record;
    if (this.previewUrl) rememberPhoto(record.inspectionId, this.previewUrl);
    this.item.dataset.state = record.status;
    this.item.dataset.inspectionId = record.inspectionId;
    this.status.textContent = `Inspected at ${timeWords(record.createdAt)} on ${this.host.stationName(record.stationId)}`;
    this.verdict.hidden = false;
    this.verdict.textContent = verdictLabel(record.status);
    this.verdict.className = `verdict verdict-${record.status}`;

    const percent = confidencePercent(record.detection);
    if (percent !== undefined) {
      this.confidence.hidden = false;
      this.confidenceFill.style.width = `${percent}%`;
      this.confidenceBar.setAttribute('aria-label', `Confidence ${percent} percent`);
      this.confidenceValue.textContent = `${percent}%`;
    }
    // The overlay explains an anomalous verdict; on a normal wafer it would only show noise below the threshold.
    if (record.status === 'anomalous' && typeof record.anomalyMaskDataUrl === 'string' && record.anomalyMaskDataUrl.startsWith('data:image/png')) {
      this.mask.src = record.anomalyMaskDataUrl;
      this.mask.alt = 'Anomaly areas found by the detector';
      this.mask.hidden = false;
      this.maskToggle.hidden = false;
    }
    this.alertLine.hidden = false;
    this.showAlert(record);
    if (record.status === 'not-inspected' && record.detectionError?.message) this.#showError(`Not inspected: ${record.detectionError.message}`);
    this.#linkRecord(record.inspectionId);
    this.figure.classList.add('openable');
    this.figure.title = 'Look closer';
  }

  /** @param {string} inspectionId */
  #linkRecord(inspectionId) {
    this.recordLink.hidden = false;
    this.recordLink.href = this.host.recordUrl(inspectionId);
    this.recordLink.dataset.inspectionId = inspectionId;
  }

  /** @param {string} message */
  #showError(message) {
    this.error.hidden = false;
    this.error.textContent = message;
  }
}
