// The upload page: loads config.json, uploads wafer images one by one as raw bytes with progress,
// shows each verdict, the recent inspections and, on the local stack, the simulated operator phone.
import { confidencePercent, describeAlert, describeError, verdictLabel } from './messages.js';

const STATION_KEY = 'waferwatch.station';
const CALL_POLL_MS = 1500;

const elements = {
  environment: document.getElementById('environment'),
  station: document.getElementById('station'),
  dropZone: document.getElementById('drop-zone'),
  files: document.getElementById('files'),
  status: document.getElementById('status'),
  results: document.getElementById('results'),
  template: document.getElementById('result-template'),
  historyRows: document.getElementById('history-rows'),
  historyStatus: document.getElementById('history-status'),
  historyRefresh: document.getElementById('history-refresh'),
  phone: document.getElementById('phone'),
  phoneDevice: document.getElementById('phone-device'),
  phoneState: document.getElementById('phone-state'),
  phoneCall: document.getElementById('phone-call'),
  callDestination: document.getElementById('call-destination'),
  callContact: document.getElementById('call-contact'),
  callTime: document.getElementById('call-time'),
  callDecision: document.getElementById('call-decision'),
  callPrompt: document.getElementById('call-prompt'),
  callAttributes: document.getElementById('call-attributes'),
  callAnswer: document.getElementById('call-answer'),
  keys: [...document.querySelectorAll('#phone .keypad button[data-key]')],
  recordDialog: document.getElementById('record-dialog'),
  recordDialogTitle: document.getElementById('record-dialog-title'),
  recordDialogStatus: document.getElementById('record-dialog-status'),
  recordDialogClose: document.getElementById('record-dialog-close'),
  recordJson: document.getElementById('record-json'),
  callCount: document.getElementById('call-count'),
};

/** @type {{ apiBaseUrl: string, apiKey: string | null, local: boolean }} */
let config;
const uploadQueue = [];
let uploading = false;

async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered HTTP ${response.status}`);
  const loaded = await response.json();
  if (typeof loaded.apiBaseUrl !== 'string' || loaded.apiBaseUrl.length === 0) throw new Error('config.json has no apiBaseUrl');
  return { apiBaseUrl: loaded.apiBaseUrl.replace(/\/+$/, ''), apiKey: loaded.apiKey ?? null, local: loaded.local === true };
}

function apiHeaders() {
  return config.apiKey ? { 'x-api-key': config.apiKey } : {};
}

function recordUrl(inspectionId) {
  return `${config.apiBaseUrl}/inspections/${encodeURIComponent(inspectionId)}`;
}

function setStatus(text) {
  elements.status.textContent = text;
}

// ---- station -------------------------------------------------------------------------------------------------

function restoreStation() {
  try {
    elements.station.value = localStorage.getItem(STATION_KEY) ?? '';
  } catch {
    // Private browsing can forbid storage; the field still works for this visit.
  }
  elements.station.addEventListener('change', () => {
    try {
      localStorage.setItem(STATION_KEY, elements.station.value.trim());
    } catch {
      // See above.
    }
  });
}

// ---- choosing and dropping -----------------------------------------------------------------------------------

function wireFileChoice() {
  elements.files.addEventListener('change', () => {
    enqueue([...elements.files.files]);
    // Let the same file be chosen again.
    elements.files.value = '';
  });
  const zone = elements.dropZone;
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'dragend']) zone.addEventListener(type, () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    enqueue([...(event.dataTransfer?.files ?? [])]);
  });
  // A file dropped beside the zone would otherwise navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

function enqueue(files) {
  if (files.length === 0) return;
  for (const file of files) uploadQueue.push({ file, view: createResultView(file) });
  setStatus(`${uploadQueue.length} image(s) waiting to upload.`);
  void drainQueue();
}

// ---- one result card -----------------------------------------------------------------------------------------

function createResultView(file) {
  const item = elements.template.content.firstElementChild.cloneNode(true);
  const part = (selector) => item.querySelector(selector);
  const view = {
    item,
    preview: part('.preview'),
    mask: part('.mask'),
    fileName: part('.file-name'),
    progress: part('.upload-progress'),
    status: part('.result-status'),
    verdict: part('.verdict'),
    confidence: part('.confidence'),
    confidenceBar: part('.confidence-bar'),
    confidenceFill: part('.confidence-fill'),
    confidenceValue: part('.confidence-value'),
    maskToggle: part('.mask-toggle'),
    alertLine: part('.alert-line'),
    error: part('.error'),
    recordLink: part('.record-link'),
  };
  view.fileName.textContent = file.name || 'image';
  view.preview.alt = `Preview of ${file.name || 'the image'}`;
  view.progress.setAttribute('aria-label', `Upload progress of ${file.name || 'the image'}`);
  const previewUrl = URL.createObjectURL(file);
  view.preview.src = previewUrl;
  view.preview.addEventListener('error', () => {
    // Not an image the browser can show; the server will say why it is refused.
    view.preview.removeAttribute('src');
    URL.revokeObjectURL(previewUrl);
  });
  view.maskToggle.querySelector('input').addEventListener('change', (event) => {
    view.mask.hidden = !event.target.checked;
  });
  elements.results.prepend(item);
  return view;
}

function showResult(view, record) {
  view.item.dataset.state = record.status;
  view.item.dataset.inspectionId = record.inspectionId;
  view.status.textContent = `Inspection ${record.inspectionId}${record.stationId ? ` · station ${record.stationId}` : ''}`;
  view.verdict.hidden = false;
  view.verdict.textContent = verdictLabel(record.status);
  view.verdict.className = `verdict verdict-${record.status}`;

  const percent = confidencePercent(record.detection);
  if (percent !== undefined) {
    view.confidence.hidden = false;
    view.confidenceFill.style.width = `${percent}%`;
    view.confidenceBar.setAttribute('aria-label', `Confidence ${percent} percent`);
    view.confidenceValue.textContent = `${percent}%`;
  }
  // The overlay explains an anomalous verdict; on a normal wafer it would only show noise below the threshold.
  if (record.status === 'anomalous' && typeof record.anomalyMaskDataUrl === 'string' && record.anomalyMaskDataUrl.startsWith('data:image/png')) {
    view.mask.src = record.anomalyMaskDataUrl;
    view.mask.alt = 'Anomaly areas found by the detector';
    view.mask.hidden = false;
    view.maskToggle.hidden = false;
  }
  view.alertLine.hidden = false;
  view.alertLine.textContent = describeAlert(record.alert);
  if (record.alert?.status === 'queued') void followAlert(view, record.inspectionId);
  if (record.status === 'not-inspected' && record.detectionError?.message) {
    showError(view, `Not inspected: ${record.detectionError.message}`);
  }
  view.recordLink.hidden = false;
  view.recordLink.href = recordUrl(record.inspectionId);
  view.recordLink.dataset.inspectionId = record.inspectionId;
}

/** How often, and for how long, a queued alert is followed until the call is placed, folded or failed. */
const ALERT_POLL_MS = 1_000;
const ALERT_FOLLOW_MS = 120_000;

/** The call is placed by another function a moment after the verdict: show what became of it. */
async function followAlert(view, inspectionId) {
  const until = Date.now() + ALERT_FOLLOW_MS;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, ALERT_POLL_MS));
    try {
      const response = await fetch(recordUrl(inspectionId), { headers: apiHeaders(), cache: 'no-store' });
      if (!response.ok) continue;
      const record = await response.json();
      if (record.alert?.status === 'queued') continue;
      const decision = record.decision ? ` · operator decided: ${record.decision.decision}` : '';
      view.alertLine.textContent = `${describeAlert(record.alert)}${decision}`;
      return;
    } catch {
      // The next poll tries again.
    }
  }
}

function showError(view, message) {
  view.error.hidden = false;
  view.error.textContent = message;
}

// ---- uploading -----------------------------------------------------------------------------------------------

async function drainQueue() {
  if (uploading) return;
  uploading = true;
  try {
    // One at a time: the line's uplink is shared and the verdicts arrive in the order chosen.
    while (uploadQueue.length > 0) {
      const next = uploadQueue.shift();
      setStatus(`Uploading ${next.file.name}… ${uploadQueue.length} more waiting.`);
      await uploadOne(next.file, next.view);
    }
    setStatus('All images uploaded.');
  } finally {
    uploading = false;
  }
  void refreshHistory();
}

function uploadUrl() {
  const station = elements.station.value.trim();
  const query = station ? `?station=${encodeURIComponent(station)}` : '';
  return `${config.apiBaseUrl}/inspections${query}`;
}

function uploadOne(file, view) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', uploadUrl());
    // Raw bytes, as a camera or curl would send them; the server decides the type from the bytes.
    request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    for (const [name, value] of Object.entries(apiHeaders())) request.setRequestHeader(name, value);
    request.responseType = 'text';
    view.item.dataset.state = 'uploading';
    view.status.textContent = 'Uploading…';

    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) view.progress.value = Math.round((event.loaded / event.total) * 100);
    });
    request.upload.addEventListener('load', () => {
      view.progress.value = 100;
      view.status.textContent = 'Inspecting…';
    });
    request.addEventListener('load', () => {
      view.progress.hidden = true;
      const body = parseJson(request.responseText);
      if (request.status === 201 || request.status === 200) {
        if (body && typeof body.inspectionId === 'string') showResult(view, body);
        else failed(view, request.status, undefined, null);
      } else {
        failed(view, request.status, body?.error, request.getResponseHeader('Retry-After'));
      }
      resolve();
    });
    for (const type of ['error', 'timeout', 'abort']) {
      request.addEventListener(type, () => {
        view.progress.hidden = true;
        failed(view, 0, undefined, null);
        resolve();
      });
    }
    request.send(file);
  });
}

function failed(view, status, error, retryAfter) {
  view.item.dataset.state = 'failed';
  view.status.textContent = error?.code ? `Refused (${error.code})` : 'Upload failed';
  showError(view, describeError(error, status, retryAfter));
  if (error?.inspectionId) {
    view.recordLink.hidden = false;
    view.recordLink.href = recordUrl(error.inspectionId);
    view.recordLink.dataset.inspectionId = error.inspectionId;
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- history -------------------------------------------------------------------------------------------------

async function refreshHistory() {
  elements.historyStatus.textContent = 'Loading recent inspections…';
  try {
    const response = await fetch(`${config.apiBaseUrl}/inspections?limit=20`, { headers: apiHeaders(), cache: 'no-store' });
    const body = parseJson(await response.text());
    if (!response.ok) {
      elements.historyStatus.textContent = describeError(body?.error, response.status, response.headers.get('Retry-After'));
      return;
    }
    renderHistory(Array.isArray(body?.inspections) ? body.inspections : []);
  } catch {
    elements.historyStatus.textContent = describeError(undefined, 0, null);
  }
}

function renderHistory(inspections) {
  const rows = inspections.map((record) => {
    const row = document.createElement('tr');
    row.dataset.inspectionId = record.inspectionId;
    row.dataset.status = record.status;
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
    const decision = record.decision ? ` · operator: ${record.decision.decision}` : '';
    cell(`${describeAlert(record.alert)}${decision}`);
    const link = document.createElement('a');
    link.href = recordUrl(record.inspectionId);
    link.dataset.inspectionId = record.inspectionId;
    link.textContent = record.inspectionId;
    link.className = 'mono record-link';
    link.setAttribute('aria-label', `Record of inspection ${record.inspectionId}`);
    cell('').append(link);
    return row;
  });
  elements.historyRows.replaceChildren(...rows);
  elements.historyStatus.textContent = inspections.length === 0 ? 'No inspections yet.' : `${inspections.length} most recent inspection(s).`;
}

// ---- record viewer ---------------------------------------------------------------------------------------------
// Record links keep their URL (copy link still works) but open in a dialog: the API wants the x-api-key header,
// which a plain navigation cannot carry.

function wireRecordLinks() {
  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a.record-link[data-inspection-id]') : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void showRecord(link.dataset.inspectionId);
  });
  elements.recordDialogClose.addEventListener('click', () => elements.recordDialog.close());
}

async function showRecord(inspectionId) {
  elements.recordDialogTitle.textContent = `Inspection ${inspectionId}`;
  elements.recordDialogStatus.textContent = 'Loading…';
  elements.recordJson.textContent = '';
  if (!elements.recordDialog.open) elements.recordDialog.showModal();
  try {
    const response = await fetch(recordUrl(inspectionId), { headers: apiHeaders(), cache: 'no-store' });
    const body = parseJson(await response.text());
    if (!response.ok) {
      elements.recordDialogStatus.textContent = describeError(body?.error, response.status, response.headers.get('Retry-After'));
      return;
    }
    elements.recordDialogStatus.textContent = '';
    elements.recordJson.textContent = JSON.stringify(body, null, 2);
  } catch {
    elements.recordDialogStatus.textContent = describeError(undefined, 0, null);
  }
}

// ---- simulated operator phone (local stack only) -------------------------------------------------------------
// The stack's Connect emulator records calls (GET /_local/calls); answering one (GET /_local/phone/{id}) runs the
// shipped contact flow, and each key (POST /_local/phone/{id}/keys) moves it on until record-decision has answered.

const phone = {
  /** The newest call as /_local/calls lists it. */
  call: undefined,
  /** The flow session of that call once answered: { spoken, awaiting, inputs, decision }. */
  session: undefined,
  busy: false,
  ringing: false,
  seen: new Set(),
  firstPoll: true,
};
let ringTimer;

async function pollCalls() {
  try {
    const response = await fetch(`${config.apiBaseUrl}/_local/calls`, { cache: 'no-store' });
    if (response.ok) {
      const body = await response.json();
      showCalls(Array.isArray(body.calls) ? body.calls : []);
    }
  } catch {
    // The stack may be restarting; the next poll catches up.
  }
  setTimeout(pollCalls, CALL_POLL_MS);
}

function showCalls(calls) {
  elements.callCount.textContent = String(calls.length);
  const fresh = calls.filter((call) => !phone.seen.has(call.contactId));
  for (const call of calls) phone.seen.add(call.contactId);
  // Calls placed before the page opened are shown but do not ring.
  const shouldRing = !phone.firstPoll && fresh.length > 0;
  phone.firstPoll = false;
  const newest = calls[0];
  if (!newest) return;
  if (newest.contactId !== phone.call?.contactId) phone.session = undefined;
  phone.call = newest;
  if (shouldRing) {
    phone.ringing = true;
    clearTimeout(ringTimer);
    // A phone stops ringing after a while; the call stays answerable.
    ringTimer = setTimeout(() => {
      phone.ringing = false;
      renderPhone();
    }, 20_000);
    void refreshHistory();
  }
  renderPhone();
}

function decisionText(decision) {
  if (!decision) return 'awaiting the operator';
  if (typeof decision === 'string') return decision;
  if (decision.status === 'error') return `not recorded (${decision.code ?? 'error'})`;
  if (decision.decision) return `${decision.decision}${decision.status && decision.status !== 'recorded' ? ` (${decision.status})` : ''}`;
  return JSON.stringify(decision);
}

function renderPhone() {
  const { call, session } = phone;
  if (!call) return;
  elements.phoneCall.hidden = false;
  elements.callDestination.textContent = call.destination ?? '—';
  elements.callContact.textContent = call.contactId ?? '—';
  const placed = new Date(call.createdAt);
  elements.callTime.textContent = Number.isNaN(placed.getTime()) ? '—' : placed.toLocaleTimeString();
  elements.callDecision.textContent = decisionText(session?.decision ?? call.decision);

  const rows = Object.entries(call.attributes ?? {}).map(([name, value]) => {
    const row = document.createElement('tr');
    const nameCell = document.createElement('th');
    nameCell.scope = 'row';
    nameCell.textContent = name;
    const valueCell = document.createElement('td');
    valueCell.textContent = String(value);
    row.append(nameCell, valueCell);
    return row;
  });
  elements.callAttributes.replaceChildren(...rows);

  if (session) {
    elements.callPrompt.replaceChildren(
      ...session.spoken.map((line) => {
        const paragraph = document.createElement('p');
        paragraph.textContent = line;
        return paragraph;
      }),
    );
  } else {
    const hint = document.createElement('p');
    hint.className = 'hint';
    hint.textContent = call.status === 'completed' ? 'This call has ended.' : 'Answer the call to hear the message.';
    elements.callPrompt.replaceChildren(hint);
  }

  // A page reloaded mid-call picks the same call up again; the flow does not restart.
  const answerable = !session && call.status !== 'completed';
  elements.callAnswer.hidden = !answerable;
  elements.callAnswer.disabled = phone.busy;
  const awaitingKey = session?.awaiting === 'keypress' && !phone.busy;
  for (const key of elements.keys) key.disabled = !awaitingKey;

  let state;
  let text;
  if (session?.awaiting === 'done' || call.status === 'completed') {
    state = 'ended';
    text = `Call ended. Decision: ${decisionText(session?.decision ?? call.decision)}.`;
  } else if (session) {
    state = 'connected';
    text = 'On the call: press 1 or 2.';
  } else if (phone.ringing) {
    state = 'ringing';
    text = 'Incoming call: wafer alert';
  } else {
    state = 'missed';
    text = 'Unanswered call: wafer alert';
  }
  elements.phoneDevice.dataset.state = state;
  if (elements.phoneState.textContent !== text) elements.phoneState.textContent = text;
}

async function phoneRequest(path, init) {
  const response = await fetch(`${config.apiBaseUrl}/_local/phone/${encodeURIComponent(phone.call.contactId)}${path}`, { cache: 'no-store', ...init });
  const body = parseJson(await response.text());
  if (!response.ok) throw new Error(body?.error?.message ?? `The phone answered HTTP ${response.status}`);
  return body;
}

async function phoneAction(action) {
  if (!phone.call || phone.busy) return;
  phone.busy = true;
  renderPhone();
  try {
    phone.session = await action();
    phone.ringing = false;
    clearTimeout(ringTimer);
    if (phone.session.awaiting === 'done') {
      void refreshHistory();
      if (phone.session.inspectionId) void refreshResultCard(phone.session.inspectionId);
    }
  } catch (error) {
    elements.phoneState.textContent = `The phone failed: ${error.message}`;
  } finally {
    phone.busy = false;
    renderPhone();
  }
}

function wirePhone() {
  elements.callAnswer.addEventListener('click', () => void phoneAction(() => phoneRequest('', {})));
  for (const key of elements.keys) {
    key.addEventListener('click', () =>
      void phoneAction(() =>
        phoneRequest('/keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: key.dataset.key }) }),
      ),
    );
  }
}

/** Show the operator's decision on the uploaded image it was about. */
async function refreshResultCard(inspectionId) {
  const card = elements.results.querySelector(`li[data-inspection-id="${CSS.escape(inspectionId)}"]`);
  if (!card) return;
  try {
    const response = await fetch(recordUrl(inspectionId), { headers: apiHeaders(), cache: 'no-store' });
    if (!response.ok) return;
    const record = await response.json();
    if (record.decision) {
      card.querySelector('.alert-line').textContent = `${describeAlert(record.alert)} · operator decided: ${record.decision.decision}`;
    }
  } catch {
    // The history shows the decision too.
  }
}

// ---- start ---------------------------------------------------------------------------------------------------

async function main() {
  restoreStation();
  wireFileChoice();
  elements.historyRefresh.addEventListener('click', () => void refreshHistory());
  wireRecordLinks();
  try {
    config = await loadConfig();
  } catch (error) {
    elements.files.disabled = true;
    setStatus(`The page is not configured: ${error.message}. It needs a config.json beside it with apiBaseUrl.`);
    return;
  }
  if (config.local) {
    elements.environment.hidden = false;
    elements.environment.textContent = 'Local stack — no AWS account involved';
    elements.phone.hidden = false;
    wirePhone();
    void pollCalls();
  }
  elements.files.disabled = false;
  document.body.dataset.ready = 'true';
  void refreshHistory();
}

void main();
