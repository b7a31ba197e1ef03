// One card per uploaded image: its preview, upload progress, verdict, confidence, anomaly areas, any error in words,
// a link to its record, and the operator-alert line, which follows the escalation ladder until it settles.
import { alertInProgress, alertLine } from './alert-ladder.js';
import { cloneTemplate, part } from './dom.js';
import { confidencePercent, describeError, verdictLabel } from './messages.js';

/** @import { ApiAnswer, ApiClient } from './api-client.js' */
/** @import { InspectionView } from './types.js' */

const ALERT_POLL_MS = 1_500;
/** A ladder rings for ACK_TIMEOUT_SECONDS per level and repeats; an hour covers any sensible configuration. */
const ALERT_FOLLOW_MS = 60 * 60 * 1000;

/** The cards of the images uploaded on this page, newest first. */
export class InspectionCards {
  /** @type {InspectionCard[]} */
  #cards = [];

  /**
   * @param {HTMLOListElement} list
   * @param {HTMLTemplateElement} template the card's markup (index.html #result-template)
   * @param {ApiClient} api
   */
  constructor(list, template, api) {
    this.list = list;
    this.template = template;
    this.api = api;
  }

  /**
   * A new card for an image about to be uploaded, at the top of the list.
   * @param {File} file
   */
  add(file) {
    const card = new InspectionCard(file, this.template, this.api);
    this.list.prepend(card.item);
    this.#cards.push(card);
    return card;
  }

  /**
   * Show how the alert stands now on the cards of this inspection (a call about it rang or ended).
   * @param {string} inspectionId
   */
  async refreshAlert(inspectionId) {
    const cards = this.#cards.filter((card) => card.inspectionId === inspectionId);
    if (cards.length === 0) return;
    const answer = await this.api.getRecord(inspectionId);
    // On failure the history still shows it.
    if (answer.ok) for (const card of cards) card.showAlert(answer.body);
  }
}

export class InspectionCard {
  /** Set once the API has answered with the inspection (or named the one it saved). @type {string | undefined} */
  inspectionId;
  #following = false;

  /**
   * @param {File} file
   * @param {HTMLTemplateElement} template
   * @param {ApiClient} api
   */
  constructor(file, template, api) {
    this.api = api;
    const item = cloneTemplate(template);
    this.item = item;
    this.preview = part(item, '.preview', HTMLImageElement);
    this.mask = part(item, '.mask', HTMLImageElement);
    this.progressBar = part(item, '.upload-progress', HTMLProgressElement);
    this.status = part(item, '.result-status', HTMLElement);
    this.verdict = part(item, '.verdict', HTMLElement);
    this.confidence = part(item, '.confidence', HTMLElement);
    this.confidenceBar = part(item, '.confidence-bar', HTMLElement);
    this.confidenceFill = part(item, '.confidence-fill', HTMLElement);
    this.confidenceValue = part(item, '.confidence-value', HTMLElement);
    this.maskToggle = part(item, '.mask-toggle', HTMLLabelElement);
    this.alertLine = part(item, '.alert-line', HTMLElement);
    this.error = part(item, '.error', HTMLElement);
    this.recordLink = part(item, '.record-link', HTMLAnchorElement);

    const name = file.name || 'image';
    part(item, '.file-name', HTMLElement).textContent = name;
    this.preview.alt = `Preview of ${file.name || 'the image'}`;
    this.progressBar.setAttribute('aria-label', `Upload progress of ${file.name || 'the image'}`);
    const previewUrl = URL.createObjectURL(file);
    this.preview.src = previewUrl;
    this.preview.addEventListener('error', () => {
      // Not an image the browser can show; the server will say why it is refused.
      this.preview.removeAttribute('src');
      URL.revokeObjectURL(previewUrl);
    });
    const showMask = part(this.maskToggle, 'input', HTMLInputElement);
    showMask.addEventListener('change', () => {
      this.mask.hidden = !showMask.checked;
    });
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
   * @param {ApiAnswer<InspectionView>} answer
   */
  showAnswer(answer) {
    this.progressBar.hidden = true;
    if (answer.ok) {
      this.#showVerdict(answer.body);
      return;
    }
    const { error } = answer;
    this.item.dataset.state = 'failed';
    this.status.textContent = error?.code ? `Refused (${error.code})` : 'Upload failed';
    this.#showError(describeError(error, answer.status, answer.retryAfter));
    if (error?.inspectionId) this.#linkRecord(error.inspectionId);
  }

  /**
   * The alert line as the record says it now.
   * @param {InspectionView} record
   */
  showAlert(record) {
    const text = alertLine(record);
    if (this.alertLine.textContent !== text) this.alertLine.textContent = text;
  }

  /** @param {InspectionView} record */
  #showVerdict(record) {
    this.inspectionId = record.inspectionId;
    this.item.dataset.state = record.status;
    this.item.dataset.inspectionId = record.inspectionId;
    this.status.textContent = `Inspection ${record.inspectionId}${record.stationId ? ` · station ${record.stationId}` : ''}`;
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
    if (alertInProgress(record.alert)) void this.#followAlert(record.inspectionId);
    if (record.status === 'not-inspected' && record.detectionError?.message) this.#showError(`Not inspected: ${record.detectionError.message}`);
    this.#linkRecord(record.inspectionId);
  }

  /**
   * The call is placed by another function a moment after the verdict, and the ladder moves on: show each step.
   * @param {string} inspectionId
   */
  async #followAlert(inspectionId) {
    if (this.#following) return;
    this.#following = true;
    const until = Date.now() + ALERT_FOLLOW_MS;
    try {
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, ALERT_POLL_MS));
        const answer = await this.api.getRecord(inspectionId);
        // A failed poll is tried again.
        if (!answer.ok) continue;
        this.showAlert(answer.body);
        if (!alertInProgress(answer.body.alert)) return;
      }
    } finally {
      this.#following = false;
    }
  }

  /** @param {string} message */
  #showError(message) {
    this.error.hidden = false;
    this.error.textContent = message;
  }

  /** @param {string} inspectionId */
  #linkRecord(inspectionId) {
    this.recordLink.hidden = false;
    this.recordLink.href = this.api.recordUrl(inspectionId);
    this.recordLink.dataset.inspectionId = inspectionId;
  }
}
