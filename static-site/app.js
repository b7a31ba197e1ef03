// The upload page's start: reads config.json, then wires the modules together. Uploads and their cards
// (upload.js, inspection-card.js), the history (history.js) and the record dialog (record-dialog.js) all talk to the
// API through api-client.js and say things in the words of messages.js and alert-ladder.js. On the local stack, and
// only there, the page also loads the stack's simulated operator phones, which the stack serves itself.
import { createApiClient, loadConfig } from './api-client.js';
import { byId, part } from './dom.js';
import { createHistory } from './history.js';
import { InspectionCards } from './inspection-card.js';
import { decisionWords } from './messages.js';
import { wireRecordDialog } from './record-dialog.js';
import { preventStrayDrops, rememberStation, wireUploads } from './upload.js';

/** @import { LocalPanelModule } from './types.js' */

/**
 * The local stack's panel module (local/phone/page/phone-panel.js), served by the stack alone: deploy:site uploads
 * static-site/ only, so the deployed page, whose config.json says `local: false`, never asks for it.
 */
const LOCAL_PANEL_URL = '/_local/page/phone-panel.js';

const elements = {
  environment: byId('environment', HTMLElement),
  uploadPanel: part(document, '.upload-panel', HTMLElement),
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
  const api = createApiClient(config);
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
    elements.environment.hidden = false;
    elements.environment.textContent = 'Local stack — no AWS account involved';
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

void main();
