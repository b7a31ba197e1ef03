// The inspection API as the page uses it: config.json, the x-api-key header on every request, and answers read into
// either the body or the error that describeError (messages.js) puts in words. Network failures answer status 0.

/** @import { ApiError, InspectionView, PageConfig } from './types.js' */

/**
 * An answer of the API: the body when it is what was asked for, else what went wrong.
 * @template T
 * @typedef {{ ok: true, status: number, body: T }
 *   | { ok: false, status: number, error: ApiError | undefined, retryAfter: string | null }} ApiAnswer
 */

/**
 * Read config.json beside the page; throws, in words, when it is missing or has no API address.
 * @returns {Promise<PageConfig>}
 */
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered HTTP ${response.status}`);
  const loaded = asObject(await response.json());
  if (typeof loaded?.apiBaseUrl !== 'string' || loaded.apiBaseUrl.length === 0) throw new Error('config.json has no apiBaseUrl');
  return {
    apiBaseUrl: loaded.apiBaseUrl.replace(/\/+$/, ''),
    apiKey: typeof loaded.apiKey === 'string' && loaded.apiKey.length > 0 ? loaded.apiKey : null,
    local: loaded.local === true,
  };
}

/**
 * The API calls the page makes, with the address and key from config.json.
 * @param {PageConfig} config
 */
export function createApiClient(config) {
  /** @type {Record<string, string>} */
  const headers = config.apiKey ? { 'x-api-key': config.apiKey } : {};

  /**
   * The address of one inspection's record (also the href of its links).
   * @param {string} inspectionId
   */
  function recordUrl(inspectionId) {
    return `${config.apiBaseUrl}/inspections/${encodeURIComponent(inspectionId)}`;
  }

  /**
   * GET a JSON body with the key; `pick` takes what was asked for out of it (undefined when the body is not that).
   * @template T
   * @param {string} url
   * @param {(body: Record<string, unknown>) => T | undefined} pick
   * @returns {Promise<ApiAnswer<T>>}
   */
  async function getJson(url, pick) {
    try {
      const response = await fetch(url, { headers, cache: 'no-store' });
      return readAnswer(response.status, await response.text(), response.headers.get('Retry-After'), pick);
    } catch {
      return { ok: false, status: 0, error: undefined, retryAfter: null };
    }
  }

  return {
    apiBaseUrl: config.apiBaseUrl,
    recordUrl,

    /**
     * One inspection, with its anomaly mask.
     * @param {string} inspectionId
     */
    getRecord: (inspectionId) => getJson(recordUrl(inspectionId), asInspection),

    /**
     * The most recent inspections, newest first.
     * @param {number} limit
     */
    listRecent: (limit) =>
      getJson(`${config.apiBaseUrl}/inspections?limit=${limit}`, (body) =>
        Array.isArray(body.inspections) ? body.inspections.flatMap((item) => asInspection(item) ?? []) : [],
      ),

    /**
     * POST one image as raw bytes, as a camera or curl would send it (the server decides the type from the bytes),
     * reporting the upload's progress; answers the inspection with its verdict.
     * @param {File} file
     * @param {string} stationId '' for none
     * @param {{ onProgress(percent: number): void, onSent(): void }} progress
     * @returns {Promise<ApiAnswer<InspectionView>>}
     */
    upload(file, stationId, progress) {
      return new Promise((resolve) => {
        const request = new XMLHttpRequest();
        request.open('POST', `${config.apiBaseUrl}/inspections${stationId ? `?station=${encodeURIComponent(stationId)}` : ''}`);
        request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
        for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
        request.responseType = 'text';
        request.upload.addEventListener('progress', (event) => {
          if (event.lengthComputable) progress.onProgress(Math.round((event.loaded / event.total) * 100));
        });
        request.upload.addEventListener('load', () => progress.onSent());
        request.addEventListener('load', () =>
          resolve(readAnswer(request.status, request.responseText, request.getResponseHeader('Retry-After'), asInspection)),
        );
        for (const type of ['error', 'timeout', 'abort']) {
          request.addEventListener(type, () => resolve({ ok: false, status: 0, error: undefined, retryAfter: null }));
        }
        request.send(file);
      });
    },
  };
}

/** @typedef {ReturnType<typeof createApiClient>} ApiClient */

/**
 * An answer from its status and body text: 2xx with the body `pick` accepts is ok; anything else carries the
 * API's `error` object when the body has one.
 * @template T
 * @param {number} status
 * @param {string} text
 * @param {string | null} retryAfter
 * @param {(body: Record<string, unknown>) => T | undefined} pick
 * @returns {ApiAnswer<T>}
 */
function readAnswer(status, text, retryAfter, pick) {
  const body = asObject(parseJson(text));
  if (status >= 200 && status < 300 && body) {
    const picked = pick(body);
    if (picked !== undefined) return { ok: true, status, body: picked };
  }
  const error = asObject(body?.error);
  return { ok: false, status, error: error ? /** @type {ApiError} */ (error) : undefined, retryAfter };
}

/**
 * A record of the API, trusted once it has an inspection id (the API's own answer).
 * @param {unknown} value
 * @returns {InspectionView | undefined}
 */
function asInspection(value) {
  const object = asObject(value);
  return typeof object?.inspectionId === 'string' ? /** @type {InspectionView} */ (/** @type {unknown} */ (object)) : undefined;
}

/**
 * @param {unknown} value
 * @returns {Record<string, unknown> | undefined}
 */
function asObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : undefined;
}

/**
 * @param {string} text
 * @returns {unknown}
 */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
