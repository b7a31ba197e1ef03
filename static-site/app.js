// The upload page's start: reads config.json, signs the person in when it names a provider (sign-in.js), then wires the
// modules together. Uploads and their cards (upload.js, inspection-card.js), the history (history.js) and the record
// dialog (record-dialog.js) all talk to the API through api-client.js, as the signed-in person, and say things in the
// words of messages.js and alert-ladder.js. Signed out, the page shows only the way to sign in. On the local stack, and
// only there, the page also loads the stack's simulated operator phones, which the stack serves itself.
import { createApiClient, loadConfig } from './api-client.js';
import { byId, part } from './dom.js';
import { createHistory } from './history.js';
import { InspectionCards } from './inspection-card.js';
import { decisionWords } from './messages.js';
import { wireRecordDialog } from './record-dialog.js';
import { startSignIn } from './sign-in.js';
import { preventStrayDrops, rememberStation, wireUploads } from './upload.js';

/** @import { ApiCaller } from './api-client.js' */
/** @import { SignIn } from './sign-in.js' */
/** @import { LocalPanelModule } from './types.js' */

/**
 * The local stack's panel module (local/phone/page/phone-panel.js), served by the stack alone: deploy:site uploads
 * static-site/ only, so the deployed page, whose config.json says `local: false`, never asks for it.
 */
const LOCAL_PANEL_URL = '/_local/page/phone-panel.js';

const elements = {
  environment: byId('environment', HTMLElement),
  uploadPanel: part(document, '.upload-panel', HTMLElement),
  historyPanel: part(document, '.history-panel', HTMLElement),
  account: byId('account', HTMLElement),
  accountName: byId('account-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  signedOut: byId('signed-out', HTMLElement),
  signedOutMessage: byId('signed-out-message', HTMLElement),
  signIn: byId('sign-in', HTMLButtonElement),
  station: byId('station', HTMLInputElement),
  dropZone: byId('drop-zone', HTMLElement),
  files: byId('files', HTMLInputElement),
  status: byId('status', HTMLElement),
  results: byId('results', HTMLOListElement),
  resultTemplate: byId('result-template', HTMLTemplateElement),
  historyRows: byId('history-rows', HTMLTableSectionElement),
  historyStatus: byId('history-status', HTMLElement),
  historyRefresh: byId('history-refresh', HTMLButtonElement),
  recordDialog: {
    dialog: byId('record-dialog', HTMLDialogElement),
    title: byId('record-dialog-title', HTMLElement),
    status: byId('record-dialog-status', HTMLElement),
    json: byId('record-json', HTMLElement),
    close: byId('record-dialog-close', HTMLButtonElement),
  },
};

async function main() {
  preventStrayDrops();
  rememberStation(elements.station);
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    elements.status.textContent = `The page is not configured: ${error instanceof Error ? error.message : String(error)}. It needs a config.json beside it with apiBaseUrl.`;
    elements.historyRefresh.disabled = true;
    return;
  }
  if (config.local) {
    elements.environment.hidden = false;
    elements.environment.textContent = 'Local stack — no AWS account involved';
  }
  /** @type {ApiCaller | undefined} */
  let caller;
  if (config.auth) {
    const signIn = await signInOrExplain(config.auth);
    if (!signIn?.person) {
      document.body.dataset.ready = 'true';
      return;
    }
    showSignedIn(signIn);
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
  const history = createHistory(elements.historyRows, elements.historyStatus, api);
  const cards = new InspectionCards(elements.results, elements.resultTemplate, api);
  elements.historyRefresh.addEventListener('click', () => void history.refresh());
  wireRecordDialog(elements.recordDialog, api);
  wireUploads({
    files: elements.files,
    dropZone: elements.dropZone,
    station: elements.station,
    status: elements.status,
    cards,
    api,
    afterBatch: () => void history.refresh(),
  });

  if (config.local) {
    try {
      /** @type {LocalPanelModule} */
      const panel = await import(LOCAL_PANEL_URL);
      await panel.start({
        apiBaseUrl: api.apiBaseUrl,
        anchor: elements.uploadPanel,
        decisionWords,
        inspectionChanged: (inspectionId) => {
          void history.refresh();
          if (inspectionId) void cards.refreshAlert(inspectionId);
        },
      });
    } catch (error) {
      elements.environment.textContent += ` (the simulated phones did not load: ${error instanceof Error ? error.message : String(error)})`;
    }
  }
  elements.files.disabled = false;
  document.body.dataset.ready = 'true';
  void history.refresh();
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
