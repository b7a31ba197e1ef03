// The wafer viewer: a click on a wafer's picture (or its "Look closer" link) opens the full-size photo with the anomaly
// areas over it (on and off), zoom and pan by mouse (drag, wheel, double-click), touch (drag, pinch) and keyboard
// (arrows, + and −, 0 to fit), the facts of the inspection in plain words, an engineer's label (normal or defect,
// through POST /inspections/{id}/review) and, under "Engineer details", the raw record.
//
// The photo is the one this page uploaded when it is still in this tab (kept by `rememberPhoto`); any other wafer's
// is fetched from the API (GET /inspections/{id}/image, base64 inside JSON) and shown from a blob: URL, which the
// page's Content-Security-Policy allows for images (img-src 'self' blob: data:, in local/static-files.ts and
// resources/site.yml). A photo too large to travel through the API, or one that cannot be fetched, leaves the anomaly
// areas alone on the stage, with a sentence saying why.
import { alertLine } from './alert-ladder.js';
import { confidencePercent, decisionLine, describeError, errorDetails, formatBytes, timeWords, verdictLabel } from './messages.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { InspectionImage, InspectionView } from './types.js' */

const MIN_ZOOM = 1;
const MAX_ZOOM = 8;
const STEP = 2;
/** How far an arrow key moves the picture, as a share of the visible area. */
const PAN_STEP = 0.1;

/** inspectionId → an object URL of the photo: uploaded from this tab, or fetched for the viewer. @type {Map<string, string>} */
const photos = new Map();
/** The fetched photos kept in `photos`, oldest first: a few, so going back and forth between wafers does not fetch again. */
const fetched = /** @type {string[]} */ ([]);
const FETCHED_KEPT = 6;

/**
 * Keep the photo of an inspection uploaded from this page, so the viewer can show it at full size.
 * @param {string} inspectionId
 * @param {string} url an object URL of the file
 */
export function rememberPhoto(inspectionId, url) {
  // A photo fetched earlier gives way to the card's own, which the card looks after from now on.
  const wasFetched = fetched.indexOf(inspectionId);
  if (wasFetched !== -1) {
    fetched.splice(wasFetched, 1);
    const earlier = photos.get(inspectionId);
    if (earlier && earlier !== url) URL.revokeObjectURL(earlier);
  }
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
   * Why the photo is not on the stage, while it is not.
   * @type {{ kind: 'loading' } | { kind: 'too-large', sizeBytes: number | undefined } | { kind: 'failed', reason: string }}
   */
  #photoNote = { kind: 'loading' };
  /** Whether the anomaly areas are on the stage (the sentence about a missing photo says what is shown instead). */
  #hasMask = false;
  /** Photos being fetched, by inspection, so opening a wafer twice asks once. @type {Map<string, Promise<void>>} */
  #photoRequests = new Map();

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
    this.#photoNote = { kind: 'loading' };
    this.#showMask(undefined);
    this.#showPhoto(photos.get(inspectionId));
    // The full-size photo, unless this tab already has it: asked for beside the record, not after it.
    if (!photos.has(inspectionId)) void this.#fetchPhoto(inspectionId, generation);
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

  /**
   * Fetch an inspection's photo from the API and keep it as an object URL; show it if the viewer is still on that
   * wafer, else say why it is not there.
   * @param {string} inspectionId
   * @param {number} generation
   */
  async #fetchPhoto(inspectionId, generation) {
    let request = this.#photoRequests.get(inspectionId);
    if (!request) {
      request = this.#requestPhoto(inspectionId).finally(() => this.#photoRequests.delete(inspectionId));
      this.#photoRequests.set(inspectionId, request);
    }
    await request;
    if (generation !== this.#generation) return;
    this.#showPhoto(photos.get(inspectionId));
  }

  /**
   * One GET /inspections/{id}/image: the photo kept in `photos`, or the reason it is not set as the note.
   * @param {string} inspectionId
   */
  async #requestPhoto(inspectionId) {
    const answer = await this.api.getImage(inspectionId);
    if (answer.ok && answer.body.image !== null) {
      keepFetchedPhoto(inspectionId, URL.createObjectURL(blobOf(answer.body.image, answer.body.contentType)), this.inspectionId);
      return;
    }
    if (this.inspectionId !== inspectionId) return;
    if (answer.ok) {
      const recorded = this.record?.inspectionId === inspectionId ? this.record.image?.sizeBytes : undefined;
      this.#photoNote = { kind: 'too-large', sizeBytes: answer.body.sizeBytes ?? recorded };
    } else {
      console.warn(`GET /inspections/${inspectionId}/image: ${errorDetails(answer.error, answer.status)}`);
      this.#photoNote = {
        kind: 'failed',
        reason: answer.status === 404 ? 'The photo is no longer stored.' : describeError(answer.error, answer.status, answer.retryAfter),
      };
    }
  }

  /** @param {string | undefined} url */
  #showPhoto(url) {
    const { parts } = this;
    if (url) {
      if (parts.photo.src !== url) parts.photo.src = url;
      parts.photo.alt = 'The wafer photo at full size';
      parts.photo.hidden = false;
      parts.noPhoto.hidden = true;
      parts.stage.dataset.photo = 'shown';
      parts.stage.removeAttribute('aria-busy');
    } else {
      parts.photo.removeAttribute('src');
      parts.photo.alt = '';
      parts.photo.hidden = true;
      parts.noPhoto.hidden = false;
      parts.stage.dataset.photo = this.#photoNote.kind;
      if (this.#photoNote.kind === 'loading') parts.stage.setAttribute('aria-busy', 'true');
      else parts.stage.removeAttribute('aria-busy');
    }
    this.#sayWhyNoPhoto();
  }

  /** @param {string | undefined} dataUrl */
  #showMask(dataUrl) {
    const { parts } = this;
    this.#hasMask = dataUrl !== undefined;
    if (dataUrl) {
      parts.mask.src = dataUrl;
      parts.mask.alt = 'Anomaly areas found by the detector';
      parts.maskToggleLabel.hidden = false;
      parts.mask.hidden = !parts.maskToggle.checked;
    } else {
      parts.mask.removeAttribute('src');
      parts.mask.alt = '';
      parts.mask.hidden = true;
      parts.maskToggleLabel.hidden = true;
    }
    this.#sayWhyNoPhoto();
  }

  /** The sentence on the stage while the photo is not there: it is on its way, too large, or could not be fetched. */
  #sayWhyNoPhoto() {
    const note = this.#photoNote;
    const instead = this.#hasMask ? 'Only the anomaly areas the detector found are shown.' : 'The detector marked no areas, so there is nothing to show here.';
    const text =
      note.kind === 'loading'
        ? 'Loading the full-size photo…'
        : note.kind === 'too-large'
          ? `This photo${note.sizeBytes ? ` (${formatBytes(note.sizeBytes)})` : ''} is too large to show on this page. ${instead}`
          : `The full-size photo could not be loaded. ${note.reason} ${instead}`;
    if (this.parts.noPhoto.textContent !== text) this.parts.noPhoto.textContent = text;
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
 * Keep a fetched photo's object URL for the viewer; past FETCHED_KEPT, the oldest fetched one not on show is let go
 * (photos uploaded from this tab belong to their cards and are never let go here).
 * @param {string} inspectionId
 * @param {string} url
 * @param {string | undefined} onShow the inspection the viewer shows now
 */
function keepFetchedPhoto(inspectionId, url, onShow) {
  const already = fetched.indexOf(inspectionId);
  if (already !== -1) {
    const earlier = photos.get(inspectionId);
    if (earlier) URL.revokeObjectURL(earlier);
    fetched.splice(already, 1);
  }
  photos.set(inspectionId, url);
  fetched.push(inspectionId);
  while (fetched.length > FETCHED_KEPT) {
    const index = fetched.findIndex((id) => id !== onShow && id !== inspectionId);
    if (index === -1) break;
    const [oldest] = fetched.splice(index, 1);
    if (oldest === undefined) break;
    const oldUrl = photos.get(oldest);
    if (oldUrl) URL.revokeObjectURL(oldUrl);
    photos.delete(oldest);
  }
}

/**
 * The photo's bytes from the API's base64, as a Blob of its type.
 * @param {string} base64
 * @param {InspectionImage['contentType']} contentType
 * @returns {Blob}
 */
function blobOf(base64, contentType) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index += 1) bytes[index] = text.charCodeAt(index);
  return new Blob([bytes], { type: contentType });
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
