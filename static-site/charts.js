// Pictures where people would rather look than read: per station, anomalies and calls over the last shift, day or week
// (GET /stats), and how long people took to answer. Drawn with uPlot (https://github.com/leeoniya/uPlot, MIT): chosen
// over Chart.js because its browser build is 51 KB minified against Chart.js's ~200 KB, it draws time series (what
// these are) on a canvas with no dependencies, it sets styles through the CSSOM only (no inline <style> or style
// attributes, so it runs under the page's strict Content-Security-Policy), and it is actively kept (1.6.x releases
// through 2025). Its browser build is served from the page's own origin (local/page-vendor-files.ts); the few rules of
// its stylesheet the page needs are in styles.css, so no second vendor file is needed. Every chart has its numbers in
// words beside it for people who cannot see it.
import { describeError, durationWords, errorDetails } from './messages.js';
import { createPoller } from './poller.js';

/** @import { ApiClient } from './api-client.js' */
/** @import { StationStats, StatsView } from './types.js' */
/** @typedef {typeof import('uplot')} UPlotConstructor */
/** @typedef {import('uplot')} UPlotChart */

const LIBRARY_URL = 'vendor/uPlot.iife.min.js';
export const CHARTS_REFRESH_MS = 60_000;
const CHART_HEIGHT = 170;
const ANOMALY_COLOUR = '#b3261e';
const CALL_COLOUR = '#1f5fbf';

/** @type {Promise<UPlotConstructor> | undefined} */
let library;

/**
 * uPlot, loaded once by a script element (its browser build defines the global `uPlot`).
 * @returns {Promise<UPlotConstructor>}
 */
function loadLibrary() {
  const host = /** @type {{ uPlot?: UPlotConstructor }} */ (/** @type {unknown} */ (window));
  if (host.uPlot) return Promise.resolve(host.uPlot);
  library ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = LIBRARY_URL;
    script.addEventListener('load', () => (host.uPlot ? resolve(host.uPlot) : reject(new Error(`${LIBRARY_URL} did not define uPlot`))));
    script.addEventListener('error', () => reject(new Error(`${LIBRARY_URL} could not be loaded`)));
    document.head.append(script);
  });
  return library;
}

/**
 * A station's numbers in words, for the chart's caption and for people who cannot see it.
 * @param {StationStats} station
 * @param {string} period "the last shift"
 * @returns {string}
 */
export function statsWords(station, period) {
  const plural = (/** @type {number} */ count, /** @type {string} */ word) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const parts = [
    `In ${period}: ${plural(station.inspections, 'wafer')} inspected, ${plural(station.anomalies, 'anomaly').replace('anomalys', 'anomalies')}, ${plural(station.calls, 'call')}.`,
  ];
  if (station.acknowledged + station.unacknowledged > 0) {
    parts.push(`${station.acknowledged} answered, ${station.unacknowledged} nobody answered.`);
  }
  const { p50, p95 } = station.timeToAcknowledgeSeconds ?? { p50: null, p95: null };
  if (typeof p50 === 'number') parts.push(`Half were answered within ${durationWords(p50)}, nearly all (95%) within ${durationWords(p95)}.`);
  return parts.join(' ');
}

const PERIODS = { shift: 'the last shift (8 hours)', day: 'the last day', week: 'the last week' };

/**
 * The charts panel.
 * @param {{ list: HTMLElement, status: HTMLElement, windows: HTMLInputElement[] }} parts
 * @param {ApiClient} api
 * @param {{ stationName(stationId: string): string }} host
 */
export function createCharts(parts, api, host) {
  /** stationId → its chart. @type {Map<string, { figure: HTMLElement, plot: UPlotChart | undefined, area: HTMLElement }>} */
  const charts = new Map();
  // Refreshes may overlap (a period chosen while the last one loads); only the latest draws and sets the timer.
  const poller = createPoller(refresh, CHARTS_REFRESH_MS, { overlap: 'latest' });
  /** The period the charts are drawn for. @type {string | undefined} */
  let drawnWindow;

  const chosenWindow = () => /** @type {'shift' | 'day' | 'week'} */ (parts.windows.find((input) => input.checked)?.value ?? 'shift');

  /**
   * @param {undefined} _options
   * @param {() => boolean} superseded true once a later refresh was asked: its answer is dropped
   */
  async function refresh(_options, superseded) {
    const window = chosenWindow();
    const [answer, uPlot] = await Promise.all([
      api.getStats(window),
      loadLibrary().catch((/** @type {unknown} */ error) => {
        console.warn(error);
        return undefined;
      }),
    ]);
    if (superseded()) return;
    if (!answer.ok) {
      parts.status.textContent =
        answer.status === 404
          ? 'Charts are not available from this server yet.'
          : `The charts could not be loaded: ${describeError(answer.error, answer.status, answer.retryAfter)}`;
      console.warn(`GET /stats: ${errorDetails(answer.error, answer.status)}`);
      return;
    }
    draw(answer.body, uPlot);
    if (!uPlot) parts.status.textContent = 'The charts could not be drawn; their numbers are below.';
  }

  /**
   * @param {StatsView} stats
   * @param {UPlotConstructor | undefined} uPlot
   */
  function draw(stats, uPlot) {
    const period = PERIODS[stats.window] ?? PERIODS.shift;
    const stations = [...stats.stations].sort((a, b) => host.stationName(a.stationId).localeCompare(host.stationName(b.stationId)));
    if (stations.length === 0) {
      parts.status.textContent = `No wafers were inspected in ${period}.`;
    } else {
      parts.status.textContent = stats.partial ? `Some numbers of ${period} are still being counted.` : '';
    }
    if (stats.window !== drawnWindow) {
      // Another period: the time axis starts again.
      for (const entry of charts.values()) entry.plot?.destroy();
      charts.clear();
      drawnWindow = stats.window;
    }
    const slowest = Math.max(1, ...stations.map((station) => station.timeToAcknowledgeSeconds?.p95 ?? 0));
    const entries = stations.map((station) => {
      let entry = charts.get(station.stationId);
      if (!entry) {
        entry = makeFigure(station.stationId);
        charts.set(station.stationId, entry);
      }
      return entry;
    });
    for (const [stationId, entry] of charts) {
      if (stations.some((station) => station.stationId === stationId)) continue;
      entry.plot?.destroy();
      charts.delete(stationId);
    }
    const current = [...parts.list.children];
    if (entries.length !== current.length || entries.some((entry, index) => entry.figure !== current[index]))
      parts.list.replaceChildren(...entries.map((entry) => entry.figure));
    // In the page first, so each chart is drawn at its column's width.
    stations.forEach((station, index) => {
      const entry = entries[index];
      if (entry) fillFigure(entry, station, stats, period, slowest, uPlot);
    });
  }

  /** @param {string} stationId */
  function makeFigure(stationId) {
    const figure = document.createElement('figure');
    figure.className = 'station-chart';
    figure.dataset.stationId = stationId;
    const caption = document.createElement('figcaption');
    const title = document.createElement('h3');
    title.className = 'chart-title';
    const words = document.createElement('p');
    words.className = 'chart-words';
    caption.append(title, words);
    const legend = document.createElement('p');
    legend.className = 'chart-legend';
    legend.setAttribute('aria-hidden', 'true');
    for (const [name, colour] of [
      ['anomalies', 'anomalies'],
      ['calls', 'calls'],
    ]) {
      const key = document.createElement('span');
      key.className = `legend-key legend-${colour}`;
      legend.append(key, ` ${name} `);
    }
    // The canvas says nothing to a screen reader; the caption says it all.
    const area = document.createElement('div');
    area.className = 'chart-area';
    area.setAttribute('aria-hidden', 'true');
    const ack = document.createElement('div');
    ack.className = 'ack-times';
    ack.setAttribute('aria-hidden', 'true');
    figure.append(caption, legend, area, ack);
    return { figure, plot: /** @type {UPlotChart | undefined} */ (undefined), area };
  }

  /**
   * @param {{ figure: HTMLElement, plot: UPlotChart | undefined, area: HTMLElement }} entry
   * @param {StationStats} station
   * @param {StatsView} stats
   * @param {string} period
   * @param {number} slowest the slowest p95 of all stations, for the bars' common scale
   * @param {UPlotConstructor | undefined} uPlot
   */
  function fillFigure(entry, station, stats, period, slowest, uPlot) {
    const { figure, area } = entry;
    const title = figure.querySelector('.chart-title');
    if (title) title.textContent = host.stationName(station.stationId);
    const words = figure.querySelector('.chart-words');
    if (words) words.textContent = statsWords(station, period);
    const ack = figure.querySelector('.ack-times');
    if (ack) {
      const { p50, p95 } = station.timeToAcknowledgeSeconds ?? { p50: null, p95: null };
      ack.replaceChildren(...ackBar('Half answered within', p50, slowest), ...ackBar('95% answered within', p95, slowest));
    }
    const buckets = station.buckets ?? [];
    /** @type {[number[], number[], number[]]} */
    const data = [buckets.map((bucket) => Date.parse(bucket.start) / 1000), buckets.map((bucket) => bucket.anomalies), buckets.map((bucket) => bucket.calls)];
    if (!uPlot) return;
    const width = Math.max(200, area.clientWidth || figure.clientWidth || 300);
    if (entry.plot && entry.plot.series.length === 3) {
      entry.plot.setData(data);
      return;
    }
    entry.plot?.destroy();
    const bars = uPlot.paths.bars?.({ size: [0.7, 24] });
    entry.plot = new uPlot(
      {
        width,
        height: CHART_HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          x: { time: true, range: [Date.parse(stats.from) / 1000, Date.parse(stats.to) / 1000] },
          y: { range: (_self, _min, max) => [0, Math.max(2, max + 1)] },
        },
        axes: [
          { stroke: '#5b6575', grid: { stroke: '#e6eaf0' }, ticks: { stroke: '#d5dbe4' } },
          { stroke: '#5b6575', grid: { stroke: '#e6eaf0' }, ticks: { stroke: '#d5dbe4' }, size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
        ],
        series: [
          {},
          { label: 'Anomalies', stroke: ANOMALY_COLOUR, fill: 'rgba(179, 38, 30, 0.35)', width: 1, ...(bars ? { paths: bars } : {}), points: { show: false } },
          { label: 'Calls', stroke: CALL_COLOUR, width: 2, points: { show: true, size: 5, fill: CALL_COLOUR } },
        ],
      },
      data,
      area,
    );
  }

  // Charts follow their column's width (a phone turned, a window resized).
  const resize = new ResizeObserver(() => {
    for (const entry of charts.values()) {
      const width = Math.max(200, entry.area.clientWidth);
      if (entry.plot && entry.plot.width !== width) entry.plot.setSize({ width, height: CHART_HEIGHT });
    }
  });
  resize.observe(parts.list);
  for (const input of parts.windows) input.addEventListener('change', () => poller.refresh());

  return {
    start: () => poller.start(),
    refresh: () => poller.refresh(),
  };
}

/**
 * A labelled bar of a time to acknowledge, its length against the slowest.
 * @param {string} label
 * @param {number | null} seconds
 * @param {number} slowest
 * @returns {HTMLElement[]}
 */
function ackBar(label, seconds, slowest) {
  const name = document.createElement('span');
  name.className = 'ack-label';
  name.textContent = label;
  const track = document.createElement('span');
  track.className = 'ack-track';
  const fill = document.createElement('span');
  fill.className = 'ack-fill';
  fill.style.width = typeof seconds === 'number' ? `${Math.max(2, Math.min(100, (seconds / slowest) * 100))}%` : '0';
  track.append(fill);
  const value = document.createElement('span');
  value.className = 'ack-value';
  value.textContent = durationWords(seconds);
  return [name, track, value];
}
