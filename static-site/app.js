// The page's start: reads config.json, signs the person in when it names a provider (sign-in.js), then wires the
// modules together, in the order a line engineer looks: open alerts first (alerts.js), uploads and their cards
// (upload.js, inspection-card.js, stations.js), the stations' charts (charts.js) and the history (history.js); a wafer
// opens in the viewer (viewer.js). All talk to the API through api-client.js, as the signed-in person, and say things
// in the words of messages.js and alert-ladder.js. Signed out, the page shows only the way to sign in. On the local
// stack, and only there, the page also loads the stack's simulated operator phones, which the stack serves itself.
import { createAlerts } from './alerts.js';
import { createApiClient, loadConfig } from './api-client.js';
import { createCharts } from './charts.js';
import { byId, part } from './dom.js';
import { createHistory } from './history.js';
import { InspectionCards } from './inspection-card.js';
import { decisionWords } from './messages.js';
import { startSignIn } from './sign-in.js';
import { StationPicker } from './stations.js';
import { preventStrayDrops, wireUploads } from './upload.js';
import { WaferViewer } from './viewer.js';

/** @import { ApiCaller } from './api-client.js' */
/** @import { SignIn } from './sign-in.js' */
/** @import { InspectionView, LocalPanelModule } from './types.js' */

/**
 * The local stack's panel module (local/phone/page/phone-panel.js), served by the stack alone: deploy:site uploads
 * static-site/ only, so the deployed page, whose config.json says `local: false`, never asks for it.
 */
const LOCAL_PANEL_URL = '/_local/page/phone-panel.js';

const elements = {
  environment: byId('environment', HTMLElement),
  alertsPanel: byId('alerts', HTMLElement),
  uploadPanel: part(document, '.upload-panel', HTMLElement),
  chartsPanel: byId('charts', HTMLElement),
  historyPanel: part(document, '.history-panel', HTMLElement),
  account: byId('account', HTMLElement),
  accountName: byId('account-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  signedOut: byId('signed-out', HTMLElement),
  signedOutMessage: byId('signed-out-message', HTMLElement),
  signIn: byId('sign-in', HTMLButtonElement),
  station: {
    label: byId('station-label', HTMLLabelElement),
    input: byId('station', HTMLInputElement),
    select: byId('station-select', HTMLSelectElement),
    hint: byId('station-hint', HTMLElement),
  },
  dropZone: byId('drop-zone', HTMLElement),
  files: byId('files', HTMLInputElement),
  status: byId('status', HTMLElement),
  batches: byId('batches', HTMLElement),
  resultTemplate: byId('result-template', HTMLTemplateElement),
  alerts: {
    panel: byId('alerts', HTMLElement),
    heading: byId('alerts-heading', HTMLElement),
    count: byId('alerts-count', HTMLElement),
    status: byId('alerts-status', HTMLElement),
    list: byId('alerts-list', HTMLElement),
  },
  charts: {
    list: byId('charts-list', HTMLElement),
    status: byId('charts-status', HTMLElement),
    windows: [...document.querySelectorAll('input[name="chart-window"]')].filter((input) => input instanceof HTMLInputElement),
  },
  history: {
    rows: byId('history-rows', HTMLTableSectionElement),
    status: byId('history-status', HTMLElement),
    updated: byId('history-updated', HTMLElement),
    more: byId('history-more', HTMLButtonElement),
    form: byId('history-filters', HTMLFormElement),
    station: byId('filter-station', HTMLSelectElement),
    verdict: byId('filter-status', HTMLSelectElement),
    decision: byId('filter-decision', HTMLSelectElement),
    from: byId('filter-from', HTMLInputElement),
    to: byId('filter-to', HTMLInputElement),
  },
  viewer: {
    dialog: byId('viewer', HTMLDialogElement),
    title: byId('viewer-title', HTMLElement),
    close: byId('viewer-close', HTMLButtonElement),
    status: byId('viewer-status', HTMLElement),
    stage: byId('viewer-stage', HTMLElement),
    canvas: byId('viewer-canvas', HTMLElement),
    photo: byId('viewer-photo', HTMLImageElement),
    mask: byId('viewer-mask', HTMLImageElement),
    noPhoto: byId('viewer-no-photo', HTMLElement),
    zoomIn: byId('viewer-zoom-in', HTMLButtonElement),
    zoomOut: byId('viewer-zoom-out', HTMLButtonElement),
    fit: byId('viewer-fit', HTMLButtonElement),
    zoom: byId('viewer-zoom', HTMLOutputElement),
    maskToggle: byId('viewer-mask-toggle', HTMLInputElement),
    maskToggleLabel: byId('viewer-mask-toggle-label', HTMLElement),
    facts: byId('viewer-facts', HTMLDListElement),
    review: byId('viewer-review', HTMLElement),
    note: byId('viewer-note', HTMLTextAreaElement),
    reviewStatus: byId('viewer-review-status', HTMLElement),
    reviewButtons: [...document.querySelectorAll('#viewer-review button[data-verdict]')].filter((button) => button instanceof HTMLButtonElement),
    engineerFacts: byId('viewer-engineer-facts', HTMLDListElement),
    json: byId('viewer-json', HTMLElement),
  },
};

async function main() {
  preventStrayDrops();
  const stations = new StationPicker(elements.station);
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    // The operator hears what to do; the engineer finds the cause in the console.
    console.error('config.json:', error);
    elements.status.textContent = 'This page is not set up yet. Tell the line engineer.';
    for (const panel of [elements.alertsPanel, elements.chartsPanel, elements.historyPanel]) panel.hidden = true;
    return;
  }
  if (config.local) {
    elements.environment.hidden = false;
    elements.environment.textContent = 'Local stack — no AWS account involved';
  }
  /** @type {ApiCaller | undefined} */
  let caller;
  /** Engineers may label wafers (the review route is theirs); with sign-in off, everybody is every group. */
  let canReview = true;
  if (config.auth) {
    const signIn = await signInOrExplain(config.auth);
    if (!signIn?.person) {
      document.body.dataset.ready = 'true';
      return;
    }
    showSignedIn(signIn);
    canReview = signIn.person.groups.includes('engineer');
    caller = {
      headers() {
        const token = signIn.idToken();
        /** @type {Record<string, string>} */
        const headers = {};
        if (token) headers.Authorization = `Bearer ${token}`;
        return headers;
      },
      // The ID token expired (or was refused): the person signs in again; what they had on the page stays until then.
      unauthenticated() {
        void signIn.forget();
        showSignedOut(signIn, 'Your sign-in has expired. Sign in again to go on.');
      },
    };
  }
  const api = createApiClient(config, caller);
  const stationName = (/** @type {string} */ stationId) => stations.name(stationId);

  /** @type {ReturnType<typeof createHistory> | undefined} */
  let history;
  /** @type {InspectionCards | undefined} */
  let cards;
  const viewer = new WaferViewer(elements.viewer, api, {
    canReview,
    stationName,
    reviewed: (record) => {
      history?.update(record);
      cards?.update(record);
    },
  });
  /**
   * @param {string} inspectionId
   * @param {HTMLElement} opener
   * @param {InspectionView} [record]
   * @param {string} [photoUrl]
   */
  const openViewer = (inspectionId, opener, record, photoUrl) =>
    void viewer.open(inspectionId, { opener, ...(record ? { record } : {}), ...(photoUrl ? { photoUrl } : {}) });

  cards = new InspectionCards(elements.resultTemplate, api, { stationName, recordUrl: api.recordUrl, openViewer });
  const alerts = createAlerts(elements.alerts, api, {
    stationName,
    stationLevels: (stationId) => stations.stations.find((station) => station.stationId === stationId)?.escalationLevels,
    openViewer: (record, opener) => openViewer(record.inspectionId, opener, record),
    changed: (record) => {
      cards?.update(record);
      history?.update(record);
      // A call that starts ringing counts in the charts at once, not at their next minute.
      refreshChartsSoon();
    },
    settled: () => {
      history?.refresh();
      charts.refresh();
    },
  });
  history = createHistory(elements.history, api, {
    stationName,
    stationIds: () => (stations.registry ? stations.stations.map((station) => station.stationId) : []),
    openViewer: (record, opener) => openViewer(record.inspectionId, opener, record),
  });
  const charts = createCharts(elements.charts, api, { stationName });
  /** At most one chart refresh every few seconds, however many alerts change. @type {ReturnType<typeof setTimeout> | undefined} */
  let chartsSoon;
  function refreshChartsSoon() {
    chartsSoon ??= setTimeout(() => {
      chartsSoon = undefined;
      charts.refresh();
    }, 3_000);
  }
  stations.onChange(() => history?.stationsChanged());

  wireUploads({
    files: elements.files,
    dropZone: elements.dropZone,
    station: stations,
    status: elements.status,
    batches: elements.batches,
    cards,
    api,
    uploaded: (record) => {
      if (record.alert?.status === 'queued' || record.alert?.status === 'ringing') alerts.refresh();
    },
    afterBatch: () => {
      history?.refresh();
      alerts.refresh();
      charts.refresh();
    },
  });

  await stations.load(api);
  if (config.local) {
    try {
      /** @type {LocalPanelModule} */
      const panel = await import(LOCAL_PANEL_URL);
      await panel.start({
        apiBaseUrl: api.apiBaseUrl,
        anchor: elements.uploadPanel,
        decisionWords,
        inspectionChanged: (inspectionId) => {
          alerts.refresh();
          history?.refresh();
          if (inspectionId) void cards?.refreshAlert(inspectionId);
        },
      });
    } catch (error) {
      elements.environment.textContent += ' (the simulated phones did not load)';
      console.error('The simulated phones did not load:', error);
    }
  }
  elements.files.disabled = false;
  alerts.start();
  history.start();
  charts.start();
  document.body.dataset.ready = 'true';
}

/**
 * Start sign-in; when nobody is signed in, show only the way to sign in (and what went wrong coming back from the
 * provider). Undefined when sign-in itself is not available.
 * @param {NonNullable<import('./types.js').PageConfig['auth']>} auth
 * @returns {Promise<SignIn | undefined>}
 */
async function signInOrExplain(auth) {
  let signIn;
  try {
    signIn = await startSignIn(auth);
  } catch (error) {
    showSignedOut(undefined, `Sign-in is not available right now (${error instanceof Error ? error.message : String(error)}). Reload the page to try again.`);
    return undefined;
  }
  if (!signIn.person) showSignedOut(signIn, signIn.problem ?? 'Only signed-in people may upload wafer images and see inspections.');
  return signIn;
}

/**
 * Who is signed in, and the way out.
 * @param {SignIn} signIn
 */
function showSignedIn(signIn) {
  const person = signIn.person;
  if (!person) return;
  elements.account.hidden = false;
  elements.accountName.textContent = `Signed in as ${person.name} (${person.groups.length > 0 ? person.groups.join(', ') : 'no group'})`;
  elements.signOut.hidden = false;
  elements.signOut.addEventListener('click', () => {
    elements.signOut.disabled = true;
    void signIn.signOut().catch((error) => {
      elements.signOut.disabled = false;
      elements.accountName.textContent = `Signing out failed: ${error instanceof Error ? error.message : String(error)}`;
    });
  });
  document.body.dataset.signedIn = 'true';
}

/**
 * Nobody (any more) signed in: no upload form, no history, only the sign-in button and why.
 * @param {SignIn | undefined} signIn
 * @param {string} message
 */
function showSignedOut(signIn, message) {
  elements.uploadPanel.hidden = true;
  elements.alertsPanel.hidden = true;
  elements.chartsPanel.hidden = true;
  elements.historyPanel.hidden = true;
  elements.files.disabled = true;
  elements.account.hidden = false;
  elements.accountName.textContent = 'Not signed in';
  elements.signOut.hidden = true;
  elements.signedOut.hidden = false;
  elements.signedOutMessage.textContent = message;
  elements.signIn.hidden = !signIn;
  if (signIn) {
    elements.signIn.onclick = () => {
      elements.signIn.disabled = true;
      void signIn.signIn().catch((error) => {
        elements.signIn.disabled = false;
        elements.signedOutMessage.textContent = `The sign-in could not start: ${error instanceof Error ? error.message : String(error)}`;
      });
    };
  }
  document.body.dataset.signedIn = 'false';
}

void main();
