// The station an upload is for: picked from the station registry (GET /stations) when the installation has one, typed
// as free text only when it has none (or the list cannot be had). The choice is remembered on this device. Also the
// page's one place that turns a station id into the name people know it by.

/** @import { ApiClient } from './api-client.js' */
/** @import { StationChoice } from './types.js' */

const STATION_KEY = 'waferwatch.station';

/** @returns {string} */
function remembered() {
  try {
    return localStorage.getItem(STATION_KEY) ?? '';
  } catch {
    // Private browsing can forbid storage; the picker still works for this visit.
    return '';
  }
}

/** @param {string} value */
function remember(value) {
  try {
    localStorage.setItem(STATION_KEY, value);
  } catch {
    // See above.
  }
}

export class StationPicker {
  /** From the registry; empty until it answers (and without one). @type {StationChoice[]} */
  stations = [];
  /** True once the registry answered that it exists; false without one (or when it could not be asked). */
  registry = false;
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * @param {{ label: HTMLLabelElement, input: HTMLInputElement, select: HTMLSelectElement, hint: HTMLElement }} parts
   */
  constructor({ label, input, select, hint }) {
    this.label = label;
    this.input = input;
    this.select = select;
    this.hint = hint;
    input.value = remembered();
    input.addEventListener('change', () => {
      remember(input.value.trim());
      this.#changed();
    });
    select.addEventListener('change', () => {
      remember(select.value);
      this.#changed();
    });
  }

  /**
   * Ask the API for the stations; with a registry, the free-text box gives way to a list.
   * @param {ApiClient} api
   */
  async load(api) {
    const answer = await api.listStations();
    if (!answer.ok) {
      // An API without GET /stations (or a failure): free text, as before.
      if (answer.status !== 404) console.warn('GET /stations failed', answer.status, answer.error);
      return;
    }
    this.stations = answer.body.stations;
    this.registry = answer.body.registry;
    if (!this.registry) {
      this.#changed();
      return;
    }
    const wanted = remembered();
    const placeholder = new Option('Choose your station…', '');
    placeholder.disabled = true;
    const options = this.stations.map(
      (station) => new Option(station.name === station.stationId ? station.name : `${station.name} (${station.stationId})`, station.stationId),
    );
    this.select.replaceChildren(placeholder, ...options);
    const only = this.stations.length === 1 ? this.stations[0]?.stationId : undefined;
    this.select.value = this.stations.some((station) => station.stationId === wanted) ? wanted : (only ?? '');
    const hadFocus = document.activeElement === this.input;
    this.input.hidden = true;
    this.select.hidden = false;
    this.label.htmlFor = this.select.id;
    this.hint.textContent = '(remembered on this device)';
    if (hadFocus) this.select.focus();
    this.#changed();
  }

  /** The station chosen: '' for none (free text left empty: the default station). */
  value() {
    return this.registry ? this.select.value : this.input.value.trim();
  }

  /** The visible control, for focus. */
  control() {
    return this.registry ? this.select : this.input;
  }

  /**
   * The name people know a station by ("Litho three"), or its id.
   * @param {string | undefined} stationId
   * @returns {string}
   */
  name(stationId) {
    if (!stationId) return 'an unnamed station';
    const station = this.stations.find((candidate) => candidate.stationId === stationId);
    if (station && this.registry) return station.name;
    return stationId === 'default' ? 'the default station' : stationId;
  }

  /** @param {() => void} listener called when the list arrives or the choice changes */
  onChange(listener) {
    this.#listeners.add(listener);
  }

  #changed() {
    for (const listener of this.#listeners) listener();
  }
}
