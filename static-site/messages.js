// Human messages for every answer the inspection API can give, shared by the upload list and the history.
// Kept free of DOM access so it can be unit-tested in Node.

/** Bytes as "4 MB" / "812 KB" for people. */
export function formatBytes(bytes) {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return 'the limit';
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * A message an operator at the line can act on, for an API error.
 * `error` is the `{ code, message, ...details }` object of the JSON body (or undefined when the body was not ours),
 * `status` the HTTP status (0 when the request never got an answer), `retryAfter` the Retry-After header.
 */
export function describeError(error, status, retryAfter) {
  const code = error && typeof error.code === 'string' ? error.code : undefined;
  switch (code) {
    case 'MALFORMED_REQUEST':
      return 'The upload could not be read by the server. Choose the image again and retry.';
    case 'IMAGE_TOO_LARGE':
      return `This image is too large: the limit is ${formatBytes(error.maxBytes)}. Export it smaller or as JPEG and try again.`;
    case 'PAYLOAD_TOO_LARGE':
      return `This upload is larger than the API accepts (${formatBytes(error.maxBytes)}). Export the image smaller and try again.`;
    case 'UNSUPPORTED_IMAGE_TYPE':
      return 'This file is not a PNG or JPEG image. Only PNG and JPEG wafer photos can be inspected.';
    case 'CORRUPT_IMAGE':
      return 'This image file is damaged or incomplete and cannot be decoded. Take or export the photo again.';
    case 'IMAGE_DIMENSIONS_OUT_OF_RANGE': {
      const range = error.minSide && error.maxSide ? ` between ${error.minSide} and ${error.maxSide} pixels` : ' within the accepted range';
      return `The image size is not accepted: each side must be${range}.`;
    }
    case 'DETECTOR_UNAVAILABLE': {
      const wait = retryAfter ? ` Try again in about ${retryAfter} seconds.` : ' Try again in a minute.';
      const saved = error.inspectionId ? ` The image was saved as inspection ${error.inspectionId} but not inspected.` : '';
      return `The anomaly detector is not available right now.${saved}${wait}`;
    }
    case 'STORAGE_UNAVAILABLE':
      return 'The image could not be stored right now. Send it again shortly.';
    case 'ALERT_QUEUE_UNAVAILABLE': {
      const saved = error.inspectionId ? ` as inspection ${error.inspectionId}` : '';
      return `The wafer was inspected and saved${saved}, but the operator call could not be queued. Send the same image again to queue the call.`;
    }
    case 'INSPECTION_NOT_FOUND':
      return 'That inspection does not exist (any more).';
    case 'ROUTE_NOT_FOUND':
      return 'The page is talking to the wrong address: the API did not recognise the request. Check config.json.';
    case 'ORIGIN_NOT_ALLOWED':
      return 'The API does not accept requests from this page\'s address. Add it to ALLOWED_ORIGINS.';
    case 'INTERNAL_ERROR': {
      const reference = error.requestId ? ` (reference ${error.requestId})` : '';
      return `Something went wrong on the server${reference}. Try again; if it keeps happening, tell the line engineer.`;
    }
    default:
      break;
  }
  if (status === 0) return 'The server could not be reached. Check the network connection and try again.';
  if (status === 403) return 'The API refused the request: the API key is missing or wrong. Check config.json.';
  if (status === 413) return 'This upload is larger than the API accepts. Export the image smaller and try again.';
  if (status === 429) return 'Too many uploads at once. Wait a moment and try again.';
  if (status === 502 || status === 504) return 'The server did not answer in time. Try again.';
  const detail = error && typeof error.message === 'string' ? ` ${error.message}` : '';
  return `The upload failed (HTTP ${status}).${detail}`;
}

/** The verdict as people say it. */
export function verdictLabel(status) {
  if (status === 'anomalous') return 'Anomalous';
  if (status === 'normal') return 'Normal';
  if (status === 'needs-review') return 'Needs review';
  return 'Not inspected';
}

/** How the operator alert went, in a few words. */
export function describeAlert(alert) {
  if (!alert) return '—';
  if (alert.status === 'queued') return 'Calling the operator…';
  if (alert.status === 'ringing' || alert.status === 'acknowledged' || alert.status === 'unacknowledged') return describeLadder(alert);
  if (alert.status === 'failed' && Array.isArray(alert.attempts) && alert.attempts.length > 0) return describeLadder(alert);
  if (alert.status === 'placed') return alert.foldedCount > 0 ? `Operator called (told of ${alert.foldedCount} more since the last call)` : 'Operator called';
  if (alert.status === 'folded') return 'No new call: the station was called minutes ago; this wafer is told on its next call';
  if (alert.status === 'failed') return `Call failed: ${alert.reason}`;
  if (alert.status === 'not-queued') return `Call not queued: ${alert.reason}`;
  switch (alert.reason) {
    case 'duplicate':
      return 'No call (the same image as an earlier inspection)';
    case 'not-anomalous':
      return 'No call (normal)';
    case 'below-threshold':
      return 'No call (below threshold)';
    case 'not-inspected':
      return 'No call (not inspected)';
    default:
      return 'No call';
  }
}

/** How one call of the ladder went, as an operator says it. */
const OUTCOME_WORDS = {
  ringing: 'ringing',
  answered: 'answered, deciding…',
  acknowledged: 'acknowledged',
  'no-answer': 'no answer',
  busy: 'declined or busy',
  voicemail: 'voicemail answered',
  'ended-without-key': 'hung up without pressing a key',
  'not-started': 'could not be called',
};

/** The decision behind a key, as the page says it after "acknowledged by …:". */
const DECISION_WORDS = { keep: 'keep manufacturing', scrap: 'scrap' };

function outcomeWords(attempt) {
  const words = OUTCOME_WORDS[attempt.outcome] ?? attempt.outcome ?? 'unknown';
  return attempt.outcome === 'not-started' && attempt.reason ? `${words} (${attempt.reason})` : words;
}

function decisionWords(decision) {
  return DECISION_WORDS[decision] ?? String(decision ?? 'decided');
}

/**
 * An escalation ladder as it went, call by call, from the alert's `attempts`: who was rung at each level, how each
 * call ended, and who acknowledged with which decision. E.g. "Ringing level 1 (Line operator) → no answer → ringing
 * level 2 (Shift lead) → acknowledged by Shift lead: scrap". Calls of one level ring together, so they share a step.
 */
export function describeLadder(alert) {
  if (!alert) return '—';
  const attempts = Array.isArray(alert.attempts) ? alert.attempts : [];
  const groups = [];
  for (const attempt of attempts) {
    const last = groups.at(-1);
    if (last && last.level === attempt.level && last.loop === attempt.loop) last.attempts.push(attempt);
    else groups.push({ level: attempt.level, loop: attempt.loop, attempts: [attempt] });
  }
  const steps = [];
  for (const group of groups) {
    const names = group.attempts.map((attempt) => attempt.contactName || 'the operator');
    const round = group.loop > 1 ? ` again (round ${group.loop})` : '';
    steps.push(`ringing level ${group.level}${round} (${names.join(', ')})`);
    // Who acknowledged is said once, at the end.
    const ended = group.attempts.filter((attempt) => attempt.outcome !== 'ringing' && attempt.outcome !== 'acknowledged');
    if (ended.length === 0) continue;
    steps.push(group.attempts.length === 1 ? outcomeWords(ended[0]) : ended.map((attempt) => `${attempt.contactName || 'the operator'}: ${outcomeWords(attempt)}`).join(', '));
  }
  if (alert.status === 'acknowledged') {
    const by = alert.acknowledgedBy ?? {};
    const via = alert.viaInspectionId && attempts.length === 0 ? ` on the call about inspection ${alert.viaInspectionId}` : '';
    steps.push(`acknowledged by ${by.contactName || 'the operator'}${via}: ${decisionWords(by.decision)}`);
  } else if (alert.status === 'unacknowledged') {
    const rounds = Math.max(1, ...attempts.map((attempt) => Number(attempt.loop) || 1));
    steps.push(`nobody acknowledged after ${rounds === 1 ? 'one round' : `${rounds} rounds`} of calls`);
  } else if (alert.status === 'failed') {
    steps.push(`call failed: ${alert.reason}`);
  } else if (alert.status === 'ringing' && steps.length === 0) {
    steps.push(`ringing level ${alert.level ?? 1}`);
  }
  const text = steps.join(' → ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Which rung of the ladder a call is, from its contact attributes: "Level 2 · Shift lead" (" · round 2" on a repeat). */
export function callLabel(attributes) {
  const level = attributes?.escalationLevel;
  const name = attributes?.contactName || 'Operator';
  const loop = Number(attributes?.escalationLoop);
  const round = Number.isInteger(loop) && loop > 1 ? ` · round ${loop}` : '';
  return level ? `Level ${level} · ${name}${round}` : `${name}${round}`;
}

/**
 * How a call (as GET /_local/calls lists it) ended, in a few words: no answer, declined, the decision recorded, hung up
 * without a key. Undefined while it rings or is in progress.
 */
export function describeCallEnd(call) {
  switch (call?.status) {
    case 'no-answer':
      return 'no answer';
    case 'declined':
      return 'declined';
    case 'failed':
      return 'could not be connected';
    case 'completed':
      break;
    default:
      return undefined;
  }
  const decision = call.decision;
  if (decision && typeof decision === 'object') {
    if (decision.status === 'recorded' || decision.status === 'already-recorded') return `decided: ${decisionWords(decision.decision)}`;
    if (decision.status === 'conflict') return `already decided on another call: ${decisionWords(decision.decision)}`;
    if (decision.status === 'error') return 'the answer could not be recorded';
  }
  return call.disconnectReason === 'CUSTOMER_DISCONNECT' ? 'hung up without pressing a key' : 'no key pressed';
}

/**
 * Confidence in [0, 1] as a whole percent, or undefined when there is none. Rounded down, like the percent the
 * operator hears on the call (functions/core/alert-policy.ts), so page and phone never disagree.
 */
export function confidencePercent(detection) {
  if (!detection || typeof detection.Confidence !== 'number' || !Number.isFinite(detection.Confidence)) return undefined;
  return Math.floor(Math.min(1, Math.max(0, detection.Confidence)) * 100);
}
