// The wafer viewer: a click on a wafer's picture (or its "Look closer" link) opens the full-size photo with the anomaly
// areas over it (on and off), zoom and pan by mouse (drag, wheel, double-click), touch (drag, pinch) and keyboard
// (arrows, + and −, 0 to fit), the facts of the inspection in plain words, an engineer's label (normal or defect,
// through POST /inspections/{id}/review) and, under "Engineer details", the raw record.
//
// The photo itself is what this page uploaded (kept in this tab by `rememberPhoto`); the API gives records and masks,
// not the stored image, so a wafer inspected elsewhere shows its anomaly areas alone.
import { alertLine } from './alert-ladder.js';
import { confidencePercent, decisionLine, describeError, errorDetails, formatBytes, timeWords, verdictLabel } from './messages.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { InspectionView } from './types.js' */

const MIN_ZOOM = 1;
const MAX_ZOOM = 8;
const STEP = 2;
/** How far an arrow key moves the picture, as a share of the visible area. */
const PAN_STEP = 0.1;

/** inspectionId → an object URL of the photo uploaded from this tab. @type {Map<string, string>} */
const photos = new Map();

/**
 * Keep the photo of an inspection uploaded from this page, so the viewer can show it at full size.
 * @param {string} inspectionId
 * @param {string} url an object URL of the file
 */
export function rememberPhoto(inspectionId, url) {
  photos.set(inspectionId, url);
}

/**
 * The viewer's parts (index.html #viewer).
 * @typedef {{
 *   dialog: HTMLDialogElement, title: HTMLElement, close: HTMLButtonElement, status: HTMLElement,
 *   stage: HTMLElement, canvas: HTMLElement, photo: HTMLImageElement, mask: HTMLImageElement, noPhoto: HTMLElement,
 *   zoomIn: HTMLButtonElement, zoomOut: HTMLButtonElement, fit: HTMLButtonElement, zoom: HTMLOutputElement,
 *   maskToggle: HTMLInputElement, maskToggleLabel: HTMLElement, facts: HTMLDListElement,
 *   review: HTMLElement, note: HTMLTextAreaElement, reviewStatus: HTMLElement, reviewButtons: HTMLButtonElement[],
 *   engineerFacts: HTMLDListElement, json: HTMLElement,
 * }} ViewerParts
 */

export class WaferViewer {
  /** The inspection shown. @type {string | undefined} */
  inspectionId;
  /** @type {InspectionView | undefined} */
  record;
  /** Where focus goes back to on close. @type {HTMLElement | null} */
  #opener = null;
  scale = 1;
  x = 0;
  y = 0;
  /** Pointers down on the stage (drag with one, pinch with two). @type {Map<number, { x: number, y: number }>} */
  #pointers = new Map();
  /** Opening the same inspection twice in a row must not show an older answer over a newer one. */
  #generation = 0;
  /** The inspection whose overlay was switched on or off by default already (later answers keep the person's choice). @type {string | undefined} */
  #maskChosenFor;

  /**
   * @param {ViewerParts} parts
   * @param {ApiClient} api
   * @param {{ canReview: boolean, stationName(stationId: string): string, reviewed(record: InspectionView): void }} options
   */
  constructor(parts, api, options) {
    this.parts = parts;
    this.api = api;
    this.options = options;
    parts.review.hidden = !options.canReview;
    parts.close.addEventListener('click', () => this.close());
    // Escape closes here, at once, so focus is back on what opened the viewer before the next key.
    parts.dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.close();
    });
    parts.dialog.addEventListener('close', () => this.#returnFocus());
    // A click on the backdrop closes, as Escape does.
    parts.dialog.addEventListener('click', (event) => {
      if (event.target === parts.dialog) this.close();
    });
    parts.zoomIn.addEventListener('click', () => this.zoomBy(STEP));
    parts.zoomOut.addEventListener('click', () => this.zoomBy(1 / STEP));
    parts.fit.addEventListener('click', () => this.#setView(1, 0, 0));
    parts.maskToggle.addEventListener('change', () => {
      parts.mask.hidden = !parts.maskToggle.checked;
    });
    for (const button of parts.reviewButtons) {
      button.addEventListener('click', () => void this.#review(button));
    }
    this.#wirePointer();
    this.#wireKeys();
  }

  /**
   * Open the viewer on one inspection: what is known at once, then the record with its mask.
   * @param {string} inspectionId
   * @param {{ opener?: HTMLElement | null, record?: InspectionView, photoUrl?: string }} [known]
   */
  async open(inspectionId, known = {}) {
    const { parts } = this;
    const generation = ++this.#generation;
    this.inspectionId = inspectionId;
    this.#opener = known.opener ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    if (known.photoUrl) rememberPhoto(inspectionId, known.photoUrl);
    this.#setView(1, 0, 0);
    this.#maskChosenFor = undefined;
    parts.reviewStatus.textContent = '';
    parts.note.value = '';
    this.#showPhoto(photos.get(inspectionId));
    this.#showMask(undefined);
    if (known.record) this.#show(known.record);
    else {
      parts.title.textContent = 'Wafer';
      parts.facts.replaceChildren();
      parts.json.textContent = '';
      parts.engineerFacts.replaceChildren();
    }
    parts.status.textContent = 'Loading the inspection…';
    if (!parts.dialog.open) parts.dialog.showModal();
    parts.stage.focus();
    const answer = await this.api.getRecord(inspectionId);
    if (generation !== this.#generation) return;
    if (!answer.ok) {
      parts.status.textContent = describeError(answer.error, answer.status, answer.retryAfter);
      console.warn(`GET /inspections/${inspectionId}: ${errorDetails(answer.error, answer.status)}`);
      return;
    }
    parts.status.textContent = '';
    this.#show(answer.body);
  }

  /** Close the viewer; focus goes back to what opened it. */
  close() {
    if (this.parts.dialog.open) this.parts.dialog.close();
    this.#returnFocus();
  }

  #returnFocus() {
    this.#generation += 1;
    const opener = this.#opener;
    this.#opener = null;
    if (opener?.isConnected) opener.focus();
  }

  /** @param {InspectionView} record */
  #show(record) {
    const { parts } = this;
    this.record = record;
    const station = this.options.stationName(record.stationId);
    parts.title.textContent = `${verdictLabel(record.status)} wafer · ${station} · ${timeWords(record.createdAt)}`;
    const percent = confidencePercent(record.detection);
    /** @type {[string, string][]} */
    const facts = [
      ['Verdict', `${verdictLabel(record.status)}${percent === undefined ? '' : ` (${percent}% sure)`}`],
      ['Station', station],
      ['Inspected', timeWords(record.createdAt)],
    ];
    if (record.image) {
      facts.push(['Picture', `${record.image.width} × ${record.image.height} pixels, ${formatBytes(record.image.sizeBytes)}`]);
    }
    facts.push(['Operator alert', alertLine(record)]);
    facts.push(['Decision', decisionLine(record) || 'Nobody has decided yet']);
    if (record.label) {
      facts.push([
        'Labelled',
        `${record.label.verdict === 'normal' ? 'Normal' : 'Defect'} — by ${record.label.by}${record.label.source === 'operator-call' ? ' on the call' : ''}, ${timeWords(record.label.at)}${record.label.note ? `: “${record.label.note}”` : ''}`,
      ]);
    }
    if (record.status === 'not-inspected' && record.detectionError?.message) facts.push(['Why not inspected', record.detectionError.message]);
    parts.facts.replaceChildren(...facts.flatMap(([term, value]) => [element('dt', term), element('dd', value)]));

    /** @type {[string, string][]} */
    const engineering = [['Inspection', record.inspectionId]];
    if (record.detection?.Detector) {
      const detector = record.detection.Detector;
      engineering.push(['Detector', `${detector.name} ${detector.modelVersion}${detector.model ? ` · ${detector.model}` : ''}`]);
    }
    engineering.push(['Alert status', record.alert?.status ?? '—']);
    parts.engineerFacts.replaceChildren(...engineering.flatMap(([term, value]) => [element('dt', term), element('dd', value, 'mono')]));
    // The mask is drawn over the picture; its data URL would only fill the raw record with base64.
    parts.json.textContent = JSON.stringify(record, (key, value) => (key === 'anomalyMaskDataUrl' ? '(the anomaly mask, drawn over the picture)' : value), 2);

    const mask =
      typeof record.anomalyMaskDataUrl === 'string' && record.anomalyMaskDataUrl.startsWith('data:image/png') ? record.anomalyMaskDataUrl : undefined;
    if (mask && this.#maskChosenFor !== record.inspectionId) {
      // The overlay explains an anomalous verdict; on a normal wafer it shows noise below the threshold: off until asked.
      this.#maskChosenFor = record.inspectionId;
      parts.maskToggle.checked = record.status !== 'normal';
    }
    this.#showMask(mask);
    this.#showPhoto(photos.get(record.inspectionId));
  }

  /** @param {string | undefined} url */
  #showPhoto(url) {
    const { parts } = this;
    if (url) {
      if (parts.photo.src !== url) parts.photo.src = url;
      parts.photo.alt = 'The wafer photo at full size';
      parts.photo.hidden = false;
      parts.noPhoto.hidden = true;
    } else {
      parts.photo.removeAttribute('src');
      parts.photo.alt = '';
      parts.photo.hidden = true;
      parts.noPhoto.hidden = false;
    }
  }

  /** @param {string | undefined} dataUrl */
  #showMask(dataUrl) {
    const { parts } = this;
    if (dataUrl) {
      parts.mask.src = dataUrl;
      parts.mask.alt = 'Anomaly areas found by the detector';
      parts.maskToggleLabel.hidden = false;
      parts.mask.hidden = !parts.maskToggle.checked;
      parts.noPhoto.textContent = 'This photo was not uploaded from this page, so only the anomaly areas the detector found are shown.';
    } else {
      parts.mask.removeAttribute('src');
      parts.mask.alt = '';
      parts.mask.hidden = true;
      parts.maskToggleLabel.hidden = true;
      parts.noPhoto.textContent = 'This photo was not uploaded from this page, and the detector marked no areas: there is nothing to show here.';
    }
  }

  /**
   * Zoom by `factor` about a point of the stage (its centre by default).
   * @param {number} factor
   * @param {{ x: number, y: number }} [about]
   */
  zoomBy(factor, about) {
    const rect = this.parts.stage.getBoundingClientRect();
    const point = about ?? { x: rect.width / 2, y: rect.height / 2 };
    const scale = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.scale * factor));
    const ratio = scale / this.scale;
    this.#setView(scale, point.x - (point.x - this.x) * ratio, point.y - (point.y - this.y) * ratio);
  }

  /**
   * @param {number} dx
   * @param {number} dy
   */
  panBy(dx, dy) {
    this.#setView(this.scale, this.x + dx, this.y + dy);
  }

  /**
   * Set zoom and offset, kept so the picture always covers the stage it was fitted to.
   * @param {number} scale
   * @param {number} x
   * @param {number} y
   */
  #setView(scale, x, y) {
    const { parts } = this;
    const rect = parts.stage.getBoundingClientRect();
    this.scale = scale;
    this.x = Math.min(0, Math.max(rect.width - rect.width * scale, x));
    this.y = Math.min(0, Math.max(rect.height - rect.height * scale, y));
    parts.canvas.style.transform = `translate(${this.x}px, ${this.y}px) scale(${scale})`;
    const percent = `${Math.round(scale * 100)}%`;
    if (parts.zoom.value !== percent) parts.zoom.value = percent;
    parts.stage.dataset.zoom = String(Math.round(scale * 100));
    parts.stage.classList.toggle('zoomed', scale > 1);
    parts.zoomOut.disabled = scale <= MIN_ZOOM;
    parts.zoomIn.disabled = scale >= MAX_ZOOM;
    parts.fit.disabled = scale === 1;
  }

  #wirePointer() {
    const { stage } = this.parts;
    /** @param {PointerEvent | MouseEvent | WheelEvent} event */
    const local = (event) => {
      const rect = stage.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    stage.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        this.zoomBy(Math.exp(-event.deltaY * 0.002), local(event));
      },
      { passive: false },
    );
    stage.addEventListener('dblclick', (event) => this.zoomBy(this.scale >= MAX_ZOOM ? 1 / MAX_ZOOM : STEP, local(event)));
    stage.addEventListener('pointerdown', (event) => {
      stage.setPointerCapture(event.pointerId);
      this.#pointers.set(event.pointerId, local(event));
    });
    stage.addEventListener('pointermove', (event) => {
      const before = this.#pointers.get(event.pointerId);
      if (!before) return;
      const now = local(event);
      if (this.#pointers.size === 1) {
        this.panBy(now.x - before.x, now.y - before.y);
      } else if (this.#pointers.size === 2) {
        const other = [...this.#pointers].find(([id]) => id !== event.pointerId)?.[1];
        if (other) {
          const apart = Math.hypot(before.x - other.x, before.y - other.y);
          const nowApart = Math.hypot(now.x - other.x, now.y - other.y);
          if (apart > 0) this.zoomBy(nowApart / apart, { x: (now.x + other.x) / 2, y: (now.y + other.y) / 2 });
        }
      }
      this.#pointers.set(event.pointerId, now);
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
      stage.addEventListener(type, (event) => this.#pointers.delete(/** @type {PointerEvent} */ (event).pointerId));
    }
  }

  #wireKeys() {
    const { stage } = this.parts;
    stage.addEventListener('keydown', (event) => {
      const rect = stage.getBoundingClientRect();
      const step = { x: rect.width * PAN_STEP, y: rect.height * PAN_STEP };
      /** @type {Record<string, () => void>} */
      const actions = {
        '+': () => this.zoomBy(STEP),
        '=': () => this.zoomBy(STEP),
        '-': () => this.zoomBy(1 / STEP),
        _: () => this.zoomBy(1 / STEP),
        0: () => this.#setView(1, 0, 0),
        // The arrow moves the view that way: the picture slides the other.
        ArrowLeft: () => this.panBy(step.x, 0),
        ArrowRight: () => this.panBy(-step.x, 0),
        ArrowUp: () => this.panBy(0, step.y),
        ArrowDown: () => this.panBy(0, -step.y),
      };
      const action = actions[event.key];
      if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
      event.preventDefault();
      action();
    });
  }

  /** @param {HTMLButtonElement} button */
  async #review(button) {
    const { parts } = this;
    const inspectionId = this.inspectionId;
    const verdict = button.dataset.verdict === 'normal' ? 'normal' : 'anomalous';
    if (!inspectionId) return;
    for (const other of parts.reviewButtons) other.disabled = true;
    parts.reviewStatus.textContent = 'Saving your label…';
    const answer = await this.api.review(inspectionId, verdict, parts.note.value);
    for (const other of parts.reviewButtons) other.disabled = false;
    if (inspectionId !== this.inspectionId) return;
    if (answer.ok) {
      parts.reviewStatus.textContent = `Labelled ${verdict === 'normal' ? 'normal' : 'a defect'}. The photo is kept to train the detector.`;
      // The review answers the record without its mask; keep the one shown.
      this.#show({ ...answer.body, ...(this.record?.anomalyMaskDataUrl ? { anomalyMaskDataUrl: this.record.anomalyMaskDataUrl } : {}) });
      this.options.reviewed(answer.body);
    } else {
      parts.reviewStatus.textContent =
        answer.status === 403 ? 'Only engineers may label wafers.' : describeError(answer.error, answer.status, answer.retryAfter);
      console.warn(`POST /inspections/${inspectionId}/review: ${errorDetails(answer.error, answer.status)}`);
    }
    // The buttons were disabled while saving: focus the outcome, where a screen reader reads it.
    parts.reviewStatus.focus();
  }
}

/**
 * @param {string} tag
 * @param {string} text
 * @param {string} [className]
 */
function element(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}
