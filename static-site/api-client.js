// The inspection API as the page uses it: config.json, the signed-in person's ID token on every request
// (`Authorization: Bearer …`; never a key), and answers read into either the body or the error that describeError
// (messages.js) puts in words. Network failures answer status 0.

/** @import { AlreadyInspected, ApiError, InspectionImage, InspectionPage, InspectionQuery, InspectionView, PageAuthConfig, PageConfig, StationList, StatsView } from './types.js' */

/** What the page asks the provider for, unless config.json says otherwise: the scopes the user pool client allows. */
const DEFAULT_SCOPE = 'openid email profile';

/**
 * An answer of the API: the body when it is what was asked for, else what went wrong.
 * @template T
 * @typedef {{ ok: true, status: number, body: T }
 *   | { ok: false, status: number, error: ApiError | undefined, retryAfter: string | null }} ApiAnswer
 */

/**
 * Read config.json beside the page; throws, in words, when it is missing or has no API address, or names a sign-in
 * without its authority and client.
 * @returns {Promise<PageConfig>}
 */
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json answered HTTP ${response.status}`);
  const loaded = asObject(await response.json());
  if (typeof loaded?.apiBaseUrl !== 'string' || loaded.apiBaseUrl.length === 0) throw new Error('config.json has no apiBaseUrl');
  return {
    apiBaseUrl: loaded.apiBaseUrl.replace(/\/+$/, ''),
    auth: readAuth(loaded.auth),
    local: loaded.local === true,
  };
}

/**
 * config.json's `auth`: null when the API asks nobody to sign in (the local stack with WAFERWATCH_AUTH=off).
 * @param {unknown} value
 * @returns {PageAuthConfig | null}
 */
function readAuth(value) {
  if (value === null || value === undefined) return null;
  const auth = asObject(value);
  const text = (/** @type {unknown} */ field) => (typeof field === 'string' && field.length > 0 ? field : undefined);
  const authority = text(auth?.authority);
  const clientId = text(auth?.clientId);
  if (!auth || !authority || !clientId) throw new Error('config.json has an auth without authority and clientId');
  const signOutUrl = text(auth.signOutUrl);
  return { authority: authority.replace(/\/+$/, ''), clientId, scope: text(auth.scope) ?? DEFAULT_SCOPE, ...(signOutUrl ? { signOutUrl } : {}) };
}

/**
 * Who the page calls the API as: the headers that say it, and what to do when the API answers that nobody is signed in
 * (401: the ID token expired, or the person was signed out elsewhere).
 * @typedef {{ headers(): Record<string, string>, unauthenticated(): void }} ApiCaller
 */

/** Nobody to name: the API needs no sign-in (WAFERWATCH_AUTH=off on the local stack). */
const ANONYMOUS = { headers: () => ({}), unauthenticated: () => {} };

/**
 * The API calls the page makes, at the address of config.json, as `caller`.
 * @param {PageConfig} config
 * @param {ApiCaller} [caller]
 */
export function createApiClient(config, caller = ANONYMOUS) {
  /**
   * An answer, and the caller told when it says nobody is signed in.
   * @template T
   * @param {ApiAnswer<T>} answer
   * @returns {ApiAnswer<T>}
   */
  const noticed = (answer) => {
    if (!answer.ok && answer.status === 401) caller.unauthenticated();
    return answer;
  };

  /**
   * The address of one inspection's record (also the href of its links).
   * @param {string} inspectionId
   */
  function recordUrl(inspectionId) {
    return `${config.apiBaseUrl}/inspections/${encodeURIComponent(inspectionId)}`;
  }

  /**
   * GET a JSON body as the caller; `pick` takes what was asked for out of it (undefined when the body is not that).
   * Nothing is kept in the browser's cache unless `cache` says so (the answer's own Cache-Control then decides).
   * @template T
   * @param {string} url
   * @param {(body: Record<string, unknown>) => T | undefined} pick
   * @param {RequestCache} [cache]
   * @returns {Promise<ApiAnswer<T>>}
   */
  async function getJson(url, pick, cache = 'no-store') {
    try {
      const response = await fetch(url, { headers: caller.headers(), cache });
      return noticed(readAnswer(response.status, await response.text(), response.headers.get('Retry-After'), pick));
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
     * The wafer photo stored for an inspection (GET /inspections/{id}/image), as base64 inside JSON; `image` is null
     * (and `tooLarge` true) for a photo too large to travel through the API. The API lets the browser keep the answer
     * for five minutes (private), so opening the same wafer again does not fetch it again.
     * @param {string} inspectionId
     * @returns {Promise<ApiAnswer<InspectionImage>>}
     */
    getImage: (inspectionId) => getJson(`${recordUrl(inspectionId)}/image`, asInspectionImage, 'default'),

    /**
     * A page of inspections, newest first, as filtered; `nextCursor` asks for the next page (null at the end, and from
     * an API that does not page yet).
     * @param {InspectionQuery} query
     * @returns {Promise<ApiAnswer<InspectionPage>>}
     */
    listInspections(query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
      return getJson(`${config.apiBaseUrl}/inspections?${params}`, (body) =>
        Array.isArray(body.inspections)
          ? {
              inspections: body.inspections.flatMap((item) => asInspection(item) ?? []),
              nextCursor: typeof body.nextCursor === 'string' ? body.nextCursor : null,
            }
          : undefined,
      );
    },

    /**
     * The stations people may pick; `registry: false` when there is no registry (free text then).
     * @returns {Promise<ApiAnswer<StationList>>}
     */
    listStations: () =>
      getJson(`${config.apiBaseUrl}/stations`, (body) =>
        typeof body.registry === 'boolean' && Array.isArray(body.stations)
          ? {
              registry: body.registry,
              stations: body.stations.flatMap((item) => {
                const station = asObject(item);
                return typeof station?.stationId === 'string'
                  ? [
                      {
                        stationId: station.stationId,
                        name: typeof station.name === 'string' && station.name ? station.name : station.stationId,
                        escalationLevels: typeof station.escalationLevels === 'number' ? station.escalationLevels : 1,
                      },
                    ]
                  : [];
              }),
            }
          : undefined,
      ),

    /**
     * Each station's inspections, anomalies, calls and time to acknowledge over a shift, a day or a week.
     * @param {'shift' | 'day' | 'week'} window
     * @param {string} [station]
     * @returns {Promise<ApiAnswer<StatsView>>}
     */
    getStats: (window, station) =>
      getJson(`${config.apiBaseUrl}/stats?window=${window}${station ? `&station=${encodeURIComponent(station)}` : ''}`, (body) =>
        Array.isArray(body.stations) ? /** @type {StatsView} */ (/** @type {unknown} */ (body)) : undefined,
      ),

    /**
     * An engineer's label on an inspection (POST /inspections/{id}/review); answers the record with its label.
     * @param {string} inspectionId
     * @param {'normal' | 'anomalous'} verdict
     * @param {string} note
     * @returns {Promise<ApiAnswer<InspectionView>>}
     */
    async review(inspectionId, verdict, note) {
      try {
        const response = await fetch(`${recordUrl(inspectionId)}/review`, {
          method: 'POST',
          headers: { ...caller.headers(), 'Content-Type': 'application/json' },
          body: JSON.stringify(note.trim() ? { verdict, note: note.trim() } : { verdict }),
          cache: 'no-store',
        });
        return noticed(readAnswer(response.status, await response.text(), response.headers.get('Retry-After'), asInspection));
      } catch {
        return { ok: false, status: 0, error: undefined, retryAfter: null };
      }
    },

    /**
     * POST one image as raw bytes, as a camera or curl would send it (the server decides the type from the bytes),
     * reporting the upload's progress; answers the inspection with its verdict, and, for bytes already inspected
     * (200 instead of 201), when and where they were.
     * @param {File} file
     * @param {string} stationId '' for none
     * @param {{ onProgress(percent: number): void, onSent(): void }} progress
     * @returns {Promise<ApiAnswer<UploadResult>>}
     */
    upload(file, stationId, progress) {
      return new Promise((resolve) => {
        const request = new XMLHttpRequest();
        request.open('POST', `${config.apiBaseUrl}/inspections${stationId ? `?station=${encodeURIComponent(stationId)}` : ''}`);
        request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
        for (const [name, value] of Object.entries(caller.headers())) request.setRequestHeader(name, value);
        request.responseType = 'text';
        request.upload.addEventListener('progress', (event) => {
          if (event.lengthComputable) progress.onProgress(Math.round((event.loaded / event.total) * 100));
        });
        request.upload.addEventListener('load', () => progress.onSent());
        request.addEventListener('load', () =>
          resolve(
            noticed(readAnswer(request.status, request.responseText, request.getResponseHeader('Retry-After'), (body) => asUpload(request.status, body))),
          ),
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
 * An upload's answer: the inspection, and `alreadyInspected` when the same bytes had been inspected before.
 * @typedef {{ record: InspectionView, alreadyInspected: AlreadyInspected | undefined }} UploadResult
 */

/**
 * POST /inspections's body: 201 a new inspection; 200 the bytes were inspected before: the body says when and where
 * (`alreadyInspected`), or, from an API that does not say it yet, is that earlier inspection.
 * @param {number} status
 * @param {Record<string, unknown>} body
 * @returns {UploadResult | undefined}
 */
function asUpload(status, body) {
  const record = asInspection(body);
  if (!record) return undefined;
  const earlier = asObject(body.alreadyInspected);
  if (earlier && typeof earlier.inspectionId === 'string') {
    return {
      record,
      alreadyInspected: {
        inspectionId: earlier.inspectionId,
        at: typeof earlier.at === 'string' ? earlier.at : record.createdAt,
        stationId: typeof earlier.stationId === 'string' ? earlier.stationId : record.stationId,
      },
    };
  }
  if (status === 200) return { record, alreadyInspected: { inspectionId: record.inspectionId, at: record.createdAt, stationId: record.stationId } };
  return { record, alreadyInspected: undefined };
}

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
 * GET /inspections/{id}/image's answer, trusted once its type is one the page shows and `image` is base64 or null.
 * @param {Record<string, unknown>} body
 * @returns {InspectionImage | undefined}
 */
function asInspectionImage(body) {
  const { inspectionId, contentType, image } = body;
  if (typeof inspectionId !== 'string' || (contentType !== 'image/jpeg' && contentType !== 'image/png')) return undefined;
  if (image !== null && typeof image !== 'string') return undefined;
  const number = (/** @type {unknown} */ value) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const sizeBytes = number(body.sizeBytes);
  return {
    inspectionId,
    contentType,
    width: number(body.width) ?? 0,
    height: number(body.height) ?? 0,
    ...(sizeBytes !== undefined ? { sizeBytes } : {}),
    image,
    tooLarge: body.tooLarge === true,
  };
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
