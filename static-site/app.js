// The upload page: loads config.json, uploads wafer images one by one as raw bytes with progress,
// shows each verdict and how its alert's escalation ladder goes, the recent inspections and, on the local stack, the
// simulated phones of the people the ladder rings.
import { callLabel, confidencePercent, describeAlert, describeCallEnd, describeError, verdictLabel } from './messages.js';

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
  phoneCalls: document.getElementById('phone-calls'),
  callTemplate: document.getElementById('call-template'),
  callLog: document.getElementById('call-log'),
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
  view.alertLine.textContent = alertText(record);
  if (FOLLOWED_ALERTS.has(record.alert?.status)) void followAlert(view, record.inspectionId);
  if (record.status === 'not-inspected' && record.detectionError?.message) {
    showError(view, `Not inspected: ${record.detectionError.message}`);
  }
  view.recordLink.hidden = false;
  view.recordLink.href = recordUrl(record.inspectionId);
  view.recordLink.dataset.inspectionId = record.inspectionId;
}

/**
 * Alerts still on their way: queued for the place-call function, ringing the escalation ladder, or folded into a
 * station's call that has not been acknowledged yet. The card follows them until they settle.
 */
const FOLLOWED_ALERTS = new Set(['queued', 'ringing', 'folded']);
const ALERT_POLL_MS = 1_500;
/** A ladder rings for ACK_TIMEOUT_SECONDS per level and repeats; an hour covers any sensible configuration. */
const ALERT_FOLLOW_MS = 60 * 60 * 1000;

/** The alert line of a card or a history row: the ladder as it went, and the decision when the ladder does not say it. */
function alertText(record) {
  const text = describeAlert(record.alert);
  return record.decision && record.alert?.status !== 'acknowledged' ? `${text} · operator decided: ${record.decision.decision}` : text;
}

/** The call is placed by another function a moment after the verdict, and the ladder moves on: show each step. */
async function followAlert(view, inspectionId) {
  if (view.following) return;
  view.following = true;
  const until = Date.now() + ALERT_FOLLOW_MS;
  try {
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, ALERT_POLL_MS));
      try {
        const response = await fetch(recordUrl(inspectionId), { headers: apiHeaders(), cache: 'no-store' });
        if (!response.ok) continue;
        const record = await response.json();
        const text = alertText(record);
        if (view.alertLine.textContent !== text) view.alertLine.textContent = text;
        if (!FOLLOWED_ALERTS.has(record.alert?.status)) return;
      } catch {
        // The next poll tries again.
      }
    }
  } finally {
    view.following = false;
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
    const decision = record.decision && record.alert?.status !== 'acknowledged' ? ` · operator: ${record.decision.decision}` : '';
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

// ---- simulated operator phones (local stack only) ------------------------------------------------------------
// The stack's Connect emulator records calls (GET /_local/calls). Each call that rings or is answered has a panel:
// answering (GET /_local/phone/{id}) runs the shipped contact flow, keys (POST …/keys) move it on, Decline and Hang up
// (POST …/decline, …/hangup) end it without a key. A call that ends (nobody answered in time, declined, hung up, the
// flow finished) leaves its panel and joins the ended calls.

const LIVE_CALLS = new Set(['initiated', 'answered']);
const CALL_LOG_LENGTH = 8;

const phone = {
  /** contactId -> { call, session, busy, loading, view } for every call ringing or answered. */
  panels: new Map(),
  /** What the last call that ended on this page came to, for the device's status line. */
  lastEnded: undefined,
  /** Calls this page saw end: a poll answered before the end must not bring their panel back. */
  ended: new Set(),
};

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

/** Calls arrive newest first; panels are shown oldest first, so a new call of the ladder appears below. */
function showCalls(calls) {
  elements.callCount.textContent = String(calls.length);
  let added = false;
  for (const call of [...calls].reverse()) {
    const panel = phone.panels.get(call.contactId);
    if (LIVE_CALLS.has(call.status)) {
      if (phone.ended.has(call.contactId)) continue;
      if (panel) {
        panel.call = call;
      } else {
        addPanel(call);
        added = true;
      }
    } else if (panel) {
      endPanel(panel, describeCallEnd(call));
    }
  }
  if (added) void refreshHistory();
  renderCallLog(calls);
  renderPhone();
}

function addPanel(call) {
  const item = elements.callTemplate.content.firstElementChild.cloneNode(true);
  const part = (selector) => item.querySelector(selector);
  const view = {
    item,
    title: part('.call-title'),
    status: part('.call-status'),
    station: part('.call-station'),
    destination: part('.call-destination'),
    time: part('.call-time'),
    actions: part('.call-actions'),
    answer: part('.answer'),
    decline: part('.decline'),
    connected: part('.call-connected'),
    prompt: part('.call-prompt'),
    keypad: part('.keypad'),
    keys: [...item.querySelectorAll('.keypad button[data-key]')],
    hangup: part('.hangup'),
    attributes: part('.call-attributes'),
  };
  const panel = { call, session: undefined, busy: false, loading: false, view };
  item.dataset.contactId = call.contactId;
  const label = callLabel(call.attributes);
  const titleId = `call-title-${call.contactId}`;
  view.title.id = titleId;
  item.setAttribute('aria-labelledby', titleId);
  view.title.textContent = label;
  view.answer.setAttribute('aria-label', `Answer ${label}`);
  view.decline.setAttribute('aria-label', `Decline ${label}`);
  view.hangup.setAttribute('aria-label', `Hang up ${label}`);
  view.keypad.setAttribute('aria-label', `Keys for ${label}`);
  view.station.textContent = call.attributes?.stationName || call.attributes?.stationId || '—';
  view.destination.textContent = call.destination ?? '—';
  const placed = new Date(call.createdAt);
  view.time.textContent = Number.isNaN(placed.getTime()) ? '—' : placed.toLocaleTimeString();
  view.attributes.replaceChildren(
    ...Object.entries(call.attributes ?? {}).map(([name, value]) => {
      const row = document.createElement('tr');
      const nameCell = document.createElement('th');
      nameCell.scope = 'row';
      nameCell.textContent = name;
      const valueCell = document.createElement('td');
      valueCell.textContent = String(value);
      row.append(nameCell, valueCell);
      return row;
    }),
  );
  view.answer.addEventListener('click', () =>
    void phoneAction(panel, '', {}, () => {
      // Keyboard users land on the keypad once the flow asks for a key.
      if (panel.session?.awaiting === 'keypress') view.keys[0]?.focus();
    }),
  );
  view.decline.addEventListener('click', () => void phoneAction(panel, '/decline', { method: 'POST' }));
  view.hangup.addEventListener('click', () => void phoneAction(panel, '/hangup', { method: 'POST' }));
  for (const key of view.keys) {
    key.addEventListener('click', () =>
      void phoneAction(panel, '/keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: key.dataset.key }) }),
    );
  }
  phone.panels.set(call.contactId, panel);
  elements.phoneCalls.append(item);
  // A call answered before this page opened (or in another tab): pick its session up; the flow does not restart.
  if (call.status === 'answered') void loadSession(panel);
  renderPanel(panel);
}

async function loadSession(panel) {
  if (panel.loading || panel.session) return;
  panel.loading = true;
  try {
    panel.session = await phoneRequest(panel, '', {});
  } catch {
    // The next poll shows whether the call is still on.
  } finally {
    panel.loading = false;
    if (phone.panels.has(panel.call.contactId)) renderPanel(panel);
  }
}

/** The call ended: its panel leaves, and the status line says how it ended. */
function endPanel(panel, outcome) {
  const { item } = panel.view;
  const hadFocus = item.contains(document.activeElement);
  phone.panels.delete(panel.call.contactId);
  phone.ended.add(panel.call.contactId);
  item.remove();
  phone.lastEnded = `${callLabel(panel.call.attributes)}: ${outcome ?? 'call ended'}`;
  // Focus must not vanish with the panel.
  if (hadFocus) elements.phoneState.focus();
  const inspectionId = panel.call.attributes?.inspectionId;
  void refreshHistory();
  if (inspectionId) void refreshResultCard(inspectionId);
}

function renderCallLog(calls) {
  const ended = calls.filter((call) => !LIVE_CALLS.has(call.status)).slice(0, CALL_LOG_LENGTH);
  const lines = ended.map((call) => {
    const item = document.createElement('li');
    item.dataset.contactId = call.contactId;
    item.dataset.status = call.status;
    const station = call.attributes?.stationName || call.attributes?.stationId;
    const endedAt = new Date(call.endedAt ?? call.updatedAt);
    const when = Number.isNaN(endedAt.getTime()) ? '' : ` · ${endedAt.toLocaleTimeString()}`;
    item.textContent = `${callLabel(call.attributes)}${station ? ` (${station})` : ''}: ${describeCallEnd(call) ?? call.status}${when}`;
    return item;
  });
  const text = lines.map((line) => line.textContent).join('\n');
  if (elements.callLog.dataset.text === text) return;
  elements.callLog.dataset.text = text;
  elements.callLog.replaceChildren(...lines);
}

function renderPanel(panel) {
  const { call, session, busy, view } = panel;
  const answered = Boolean(session) || call.status === 'answered';
  view.item.dataset.state = answered ? 'connected' : 'ringing';
  view.actions.hidden = answered;
  view.answer.disabled = busy;
  view.decline.disabled = busy;
  view.connected.hidden = !answered;
  view.hangup.disabled = busy;
  const awaitingKey = session?.awaiting === 'keypress' && !busy;
  for (const key of view.keys) key.disabled = !awaitingKey;
  const status = answered ? (session ? 'On the call: press 1 or 2.' : 'Answered…') : 'Ringing…';
  if (view.status.textContent !== status && !panel.error) view.status.textContent = status;
  const lines = session?.spoken ?? [];
  if (view.prompt.childElementCount !== lines.length) {
    view.prompt.replaceChildren(
      ...lines.map((line) => {
        const paragraph = document.createElement('p');
        paragraph.textContent = line;
        return paragraph;
      }),
    );
  }
}

function renderPhone() {
  const panels = [...phone.panels.values()];
  for (const panel of panels) renderPanel(panel);
  const ringing = panels.filter((panel) => !panel.session && panel.call.status === 'initiated');
  const connected = panels.filter((panel) => panel.session || panel.call.status === 'answered');
  let state;
  let text;
  if (ringing.length > 0) {
    state = 'ringing';
    text = ringing.length === 1 ? `Incoming call: ${callLabel(ringing[0].call.attributes)}` : `${ringing.length} calls ringing`;
  } else if (connected.length > 0) {
    state = 'connected';
    text = 'On the call: press 1 or 2.';
  } else if (phone.lastEnded) {
    state = 'ended';
    text = `Call ended · ${phone.lastEnded}`;
  } else {
    state = 'idle';
    text = 'No calls ringing.';
  }
  elements.phoneDevice.dataset.state = state;
  if (elements.phoneState.textContent !== text) elements.phoneState.textContent = text;
}

async function phoneRequest(panel, path, init) {
  const response = await fetch(`${config.apiBaseUrl}/_local/phone/${encodeURIComponent(panel.call.contactId)}${path}`, { cache: 'no-store', ...init });
  const body = parseJson(await response.text());
  if (!response.ok) throw Object.assign(new Error(body?.error?.message ?? `The phone answered HTTP ${response.status}`), { code: body?.error?.code });
  return body;
}

async function phoneAction(panel, path, init, after) {
  if (panel.busy || !phone.panels.has(panel.call.contactId)) return;
  panel.busy = true;
  panel.error = false;
  renderPhone();
  try {
    panel.session = await phoneRequest(panel, path, init);
    if (panel.session.awaiting === 'done') {
      const decision = panel.session.decision;
      const outcome = decision
        ? describeCallEnd({ status: 'completed', decision })
        : path === '/decline' || (path === '/hangup' && panel.session.spoken.length === 0)
          ? 'declined'
          : describeCallEnd({ status: 'completed', disconnectReason: path === '/hangup' ? 'CUSTOMER_DISCONNECT' : 'CONTACT_FLOW_DISCONNECT' });
      endPanel(panel, outcome);
    }
  } catch (error) {
    if (error.code === 'CALL_ENDED') {
      // It ended meanwhile (the ring time ran out): the next poll says how.
      endPanel(panel, error.message);
    } else {
      panel.error = true;
      panel.view.status.textContent = `The phone failed: ${error.message}`;
    }
  } finally {
    panel.busy = false;
    renderPhone();
    after?.();
  }
}

/** Show how the alert stands on the uploaded image it was about. */
async function refreshResultCard(inspectionId) {
  const card = elements.results.querySelector(`li[data-inspection-id="${CSS.escape(inspectionId)}"]`);
  if (!card) return;
  try {
    const response = await fetch(recordUrl(inspectionId), { headers: apiHeaders(), cache: 'no-store' });
    if (!response.ok) return;
    const record = await response.json();
    const line = card.querySelector('.alert-line');
    const text = alertText(record);
    if (line.textContent !== text) line.textContent = text;
  } catch {
    // The history shows it too.
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
    void pollCalls();
  }
  elements.files.disabled = false;
  document.body.dataset.ready = 'true';
  void refreshHistory();
}

void main();
