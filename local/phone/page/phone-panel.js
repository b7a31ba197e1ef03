// The local stack's simulated operator phones: a panel beside the upload list. The local stack alone serves this
// folder (at /_local/page/); the page loads this module when its config.json says `local: true`, and
// `npm run deploy:site` never uploads it (it uploads static-site/ only).
//
// The stack's Connect emulator records calls (GET /_local/calls). Each call that rings or is answered has a panel:
// answering (GET /_local/phone/{id}) runs the shipped contact flow, keys (POST …/keys) move it on, Decline and Hang up
// (POST …/decline, …/hangup) end it without a key. A call that ends (nobody answered in time, declined, hung up, the
// flow finished) leaves its panel and joins the ended calls.
import { callLabel, describeCallEnd } from './call-messages.js';

/** @import { LocalPanelHost, LocalPanelModule } from '../../../static-site/types.js' */
/** @import { LocalCall, PhoneSession } from './types.js' */

const CALL_POLL_MS = 1500;
const LIVE_CALLS = new Set(['initiated', 'answered']);
const CALL_LOG_LENGTH = 8;
/** The call's status line while the phone acts, by the action's path. @type {Record<string, string>} */
const BUSY_TEXT = { '': 'Answering…', '/decline': 'Declining…', '/hangup': 'Hanging up…', '/keys': 'Sending the key…' };

/** Put the phones after `host.anchor`, styled, and follow the calls the stack places. */
export const start = /** @satisfies {LocalPanelModule['start']} */ (
  async (host) => {
    await loadStyles();
    const phones = new Phones(host);
    host.anchor.after(phones.aside);
    void phones.poll();
  }
);

/** The panel's styles, beside this module; resolves once they apply (or failed to load), so the panel never flashes unstyled. */
function loadStyles() {
  const link = h('link', { rel: 'stylesheet', href: new URL('phone-panel.css', import.meta.url).href });
  return new Promise((resolve) => {
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve);
    document.head.append(link);
  });
}

/** A failure the phone answered with (e.g. CALL_ENDED when the call ended meanwhile). */
class PhoneError extends Error {
  /**
   * @param {string} message
   * @param {string | undefined} code
   */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/** One call ringing or answered, and its panel. */
class CallPanel {
  /** @type {PhoneSession | undefined} */
  session;
  busy = false;
  loading = false;
  /** The last action failed; its message stays in the status line until the next action. */
  failed = false;
  /** What the phone is doing while busy, for the status line. */
  busyText = '';

  /**
   * @param {LocalCall} call
   * @param {(panel: CallPanel, path: string, init: RequestInit, after?: () => void) => void} act
   */
  constructor(call, act) {
    this.call = call;
    const label = callLabel(call.attributes);
    const titleId = `call-title-${call.contactId}`;
    // Focusable from script only: focus waits here while the pressed button is disabled.
    this.status = h('p', { class: 'call-status', tabindex: '-1' });
    this.answer = h('button', { type: 'button', class: 'answer', 'aria-label': `Answer ${label}` }, 'Answer');
    this.decline = h('button', { type: 'button', class: 'decline', 'aria-label': `Decline ${label}` }, 'Decline');
    this.actions = h('div', { class: 'call-actions' }, this.answer, this.decline);
    this.prompt = h('div', { class: 'call-prompt', 'aria-live': 'polite' });
    this.keys = [
      h('button', { type: 'button', class: 'key', 'data-key': '1', 'aria-label': 'Key 1', disabled: '' }, '1'),
      h('button', { type: 'button', class: 'key', 'data-key': '2', 'aria-label': 'Key 2', disabled: '' }, '2'),
      h('button', { type: 'button', class: 'silent', 'data-key': 'timeout', disabled: '' }, 'Stay silent'),
    ];
    this.hangup = h('button', { type: 'button', class: 'hangup', 'aria-label': `Hang up ${label}` }, 'Hang up');
    this.connected = h(
      'div',
      { class: 'call-connected', hidden: '' },
      h('h4', {}, 'What the operator hears'),
      this.prompt,
      h('div', { class: 'keypad', role: 'group', 'aria-label': `Keys for ${label}` }, ...this.keys),
      this.hangup,
    );
    const placed = new Date(call.createdAt);
    this.item = h(
      'li',
      { class: 'call-panel', 'data-state': 'ringing', 'data-contact-id': call.contactId, 'aria-labelledby': titleId },
      h('h3', { class: 'call-title', id: titleId }, label),
      this.status,
      h(
        'dl',
        { class: 'call-facts' },
        h('dt', {}, 'Station'),
        h('dd', { class: 'call-station' }, call.attributes?.stationName || call.attributes?.stationId || '—'),
        h('dt', {}, 'To'),
        h('dd', { class: 'call-destination' }, call.destination ?? '—'),
        h('dt', {}, 'Placed'),
        h('dd', { class: 'call-time' }, Number.isNaN(placed.getTime()) ? '—' : placed.toLocaleTimeString()),
      ),
      this.actions,
      this.connected,
      h(
        'details',
        { class: 'call-details' },
        h('summary', {}, 'Engineer details (call attributes)'),
        h(
          'table',
          { class: 'attributes' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))),
          h(
            'tbody',
            { class: 'call-attributes' },
            ...Object.entries(call.attributes ?? {}).map(([name, value]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, String(value)))),
          ),
        ),
      ),
    );

    this.answer.addEventListener('click', () =>
      act(this, '', {}, () => {
        // Keyboard users land on the keypad once the flow asks for a key.
        if (this.session?.awaiting === 'keypress') this.keys[0]?.focus();
      }),
    );
    this.decline.addEventListener('click', () => act(this, '/decline', { method: 'POST' }));
    this.hangup.addEventListener('click', () => act(this, '/hangup', { method: 'POST' }));
    for (const key of this.keys) {
      key.addEventListener('click', () =>
        act(this, '/keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ key: key.dataset.key }) }),
      );
    }
  }

  /** Whether the call is answered: by this page (a session) or elsewhere (another tab). */
  get answered() {
    return Boolean(this.session) || this.call.status === 'answered';
  }

  render() {
    const { session, busy } = this;
    const answered = this.answered;
    this.item.dataset.state = answered ? 'connected' : 'ringing';
    this.actions.hidden = answered;
    this.answer.disabled = busy;
    this.decline.disabled = busy;
    this.connected.hidden = !answered;
    this.hangup.disabled = busy;
    const awaitingKey = session?.awaiting === 'keypress' && !busy;
    for (const key of this.keys) key.disabled = !awaitingKey;
    const status = busy ? this.busyText : answered ? (session ? 'On the call: press 1 or 2.' : 'Answered…') : 'Ringing…';
    if (this.status.textContent !== status && !this.failed) this.status.textContent = status;
    const lines = session?.spoken ?? [];
    if (this.prompt.childElementCount !== lines.length) this.prompt.replaceChildren(...lines.map((line) => h('p', {}, line)));
  }
}

/** The phones panel: the device with a panel per live call, the ended calls, and how many calls the stack placed. */
class Phones {
  /** contactId -> the panel of every call ringing or answered. @type {Map<string, CallPanel>} */
  #panels = new Map();
  /** What the last call that ended on this page came to, for the device's status line. @type {string | undefined} */
  #lastEnded;
  /** Calls this page saw end: a poll answered before the end must not bring their panel back. @type {Set<string>} */
  #ended = new Set();

  /** @param {LocalPanelHost} host */
  constructor(host) {
    this.host = host;
    this.state = h('p', { id: 'phone-state', class: 'phone-state', 'aria-live': 'assertive', tabindex: '-1' }, 'No calls yet.');
    this.calls = h('ul', { id: 'phone-calls', class: 'phone-calls', 'aria-label': 'Calls ringing or in progress' });
    this.device = h('div', { id: 'phone-device', class: 'phone-device', 'data-state': 'idle' }, this.state, this.calls);
    this.log = h('ol', { id: 'call-log', class: 'call-log', 'aria-labelledby': 'call-log-heading' });
    this.count = h('span', { id: 'call-count' }, '0');
    this.aside = h(
      'aside',
      { id: 'phone', class: 'panel phone-panel', 'aria-labelledby': 'phone-heading' },
      h('h2', { id: 'phone-heading' }, 'Operator phones ', h('span', { class: 'hint' }, '(simulated)')),
      this.device,
      h('h3', { id: 'call-log-heading' }, 'Ended calls'),
      this.log,
      h('p', { class: 'hint' }, this.count, ' call(s) placed by this local stack.'),
    );
  }

  /** Follow the stack's calls, for as long as the page is open. */
  async poll() {
    try {
      const response = await fetch(`${this.host.apiBaseUrl}/_local/calls`, { cache: 'no-store' });
      if (response.ok) {
        const body = await response.json();
        this.#show(Array.isArray(body?.calls) ? body.calls : []);
      }
    } catch {
      // The stack may be restarting; the next poll catches up.
    }
    setTimeout(() => void this.poll(), CALL_POLL_MS);
  }

  /**
   * Calls arrive newest first; panels are shown oldest first, so a new call of the ladder appears below.
   * @param {LocalCall[]} calls
   */
  #show(calls) {
    this.count.textContent = String(calls.length);
    for (const call of [...calls].reverse()) {
      const panel = this.#panels.get(call.contactId);
      if (LIVE_CALLS.has(call.status)) {
        if (this.#ended.has(call.contactId)) continue;
        if (panel) {
          panel.call = call;
        } else {
          this.#add(call);
          this.host.inspectionChanged(call.attributes?.inspectionId);
        }
      } else if (panel) {
        this.#end(panel, describeCallEnd(call, this.host.decisionWords));
      }
    }
    this.#renderLog(calls);
    this.#render();
  }

  /** @param {LocalCall} call */
  #add(call) {
    const panel = new CallPanel(call, (target, path, init, after) => void this.#act(target, path, init, after));
    this.#panels.set(call.contactId, panel);
    this.calls.append(panel.item);
    // A call answered before this page opened (or in another tab): pick its session up; the flow does not restart.
    if (call.status === 'answered') void this.#loadSession(panel);
    panel.render();
  }

  /** @param {CallPanel} panel */
  async #loadSession(panel) {
    if (panel.loading || panel.session) return;
    panel.loading = true;
    try {
      panel.session = await this.#request(panel, '', {});
    } catch {
      // The next poll shows whether the call is still on.
    } finally {
      panel.loading = false;
      if (this.#panels.has(panel.call.contactId)) panel.render();
    }
  }

  /**
   * The call ended: its panel leaves, and the status line says how it ended.
   * @param {CallPanel} panel
   * @param {string | undefined} outcome
   */
  #end(panel, outcome) {
    const hadFocus = panel.item.contains(document.activeElement);
    this.#panels.delete(panel.call.contactId);
    this.#ended.add(panel.call.contactId);
    panel.item.remove();
    this.#lastEnded = `${callLabel(panel.call.attributes)}: ${outcome ?? 'call ended'}`;
    // Focus must not vanish with the panel.
    if (hadFocus) this.state.focus();
    this.host.inspectionChanged(panel.call.attributes?.inspectionId);
  }

  /** @param {LocalCall[]} calls */
  #renderLog(calls) {
    const ended = calls.filter((call) => !LIVE_CALLS.has(call.status)).slice(0, CALL_LOG_LENGTH);
    const lines = ended.map((call) => {
      const station = call.attributes?.stationName || call.attributes?.stationId;
      const endedAt = new Date(call.endedAt ?? call.updatedAt);
      const when = Number.isNaN(endedAt.getTime()) ? '' : ` · ${endedAt.toLocaleTimeString()}`;
      const text = `${callLabel(call.attributes)}${station ? ` (${station})` : ''}: ${describeCallEnd(call, this.host.decisionWords) ?? call.status}${when}`;
      return h('li', { 'data-contact-id': call.contactId, 'data-status': call.status }, text);
    });
    const text = lines.map((line) => line.textContent).join('\n');
    if (this.log.dataset.text === text) return;
    this.log.dataset.text = text;
    this.log.replaceChildren(...lines);
  }

  #render() {
    const panels = [...this.#panels.values()];
    for (const panel of panels) panel.render();
    const ringing = panels.filter((panel) => !panel.session && panel.call.status === 'initiated');
    const connected = panels.filter((panel) => panel.answered);
    let state;
    let text;
    if (ringing[0]) {
      state = 'ringing';
      text = ringing.length === 1 ? `Incoming call: ${callLabel(ringing[0].call.attributes)}` : `${ringing.length} calls ringing`;
    } else if (connected.length > 0) {
      state = 'connected';
      text = 'On the call: press 1 or 2.';
    } else if (this.#lastEnded) {
      state = 'ended';
      text = `Call ended · ${this.#lastEnded}`;
    } else {
      state = 'idle';
      text = 'No calls ringing.';
    }
    this.device.dataset.state = state;
    if (this.state.textContent !== text) this.state.textContent = text;
  }

  /**
   * Ask the phone about a call (`''` answers it or returns its session), or act on it.
   * @param {CallPanel} panel
   * @param {string} path
   * @param {RequestInit} init
   * @returns {Promise<PhoneSession>}
   */
  async #request(panel, path, init) {
    const response = await fetch(`${this.host.apiBaseUrl}/_local/phone/${encodeURIComponent(panel.call.contactId)}${path}`, { cache: 'no-store', ...init });
    const body = parseJson(await response.text());
    if (!response.ok) {
      const error = typeof body?.error === 'object' && body.error !== null ? /** @type {{ code?: unknown, message?: unknown }} */ (body.error) : {};
      throw new PhoneError(
        typeof error.message === 'string' ? error.message : `The phone answered HTTP ${response.status}`,
        typeof error.code === 'string' ? error.code : undefined,
      );
    }
    if (!Array.isArray(body?.spoken) || (body.awaiting !== 'keypress' && body.awaiting !== 'done'))
      throw new PhoneError('The phone did not answer with the call.', undefined);
    return /** @type {PhoneSession} */ (/** @type {unknown} */ (body));
  }

  /**
   * Answer, press a key, decline or hang up; the panel leaves once the call is over.
   * @param {CallPanel} panel
   * @param {string} path
   * @param {RequestInit} init
   * @param {() => void} [after]
   */
  async #act(panel, path, init, after) {
    if (panel.busy || !this.#panels.has(panel.call.contactId)) return;
    // The pressed button is disabled while the phone answers (or goes with its panel): focus must not fall to the page.
    // A disabled button loses focus at once, so it waits on the call's status line, which says what the phone is doing.
    const hadFocus = panel.item.contains(document.activeElement);
    panel.busy = true;
    panel.busyText = BUSY_TEXT[path] ?? 'Working…';
    panel.failed = false;
    this.#render();
    if (hadFocus) panel.status.focus();
    try {
      const session = await this.#request(panel, path, init);
      panel.session = session;
      if (session.awaiting === 'done') {
        const words = this.host.decisionWords;
        const outcome = session.decision
          ? describeCallEnd({ status: 'completed', decision: session.decision }, words)
          : path === '/decline' || (path === '/hangup' && session.spoken.length === 0)
            ? 'declined'
            : describeCallEnd({ status: 'completed', disconnectReason: path === '/hangup' ? 'CUSTOMER_DISCONNECT' : 'CONTACT_FLOW_DISCONNECT' }, words);
        this.#end(panel, outcome);
      }
    } catch (error) {
      if (error instanceof PhoneError && error.code === 'CALL_ENDED') {
        // It ended meanwhile (the ring time ran out): the next poll says how.
        this.#end(panel, error.message);
      } else {
        panel.failed = true;
        panel.status.textContent = `The phone failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    } finally {
      panel.busy = false;
      this.#render();
      after?.();
      if (hadFocus && (!focusUsable() || document.activeElement === panel.status)) this.#focusAfter(panel);
    }
  }

  /**
   * Where focus goes after an action left it nowhere: the call's next control while it lasts (a key while the flow
   * waits for one, else Hang up or Answer), else another call's Answer, else the phone's status line.
   * @param {CallPanel} panel
   */
  #focusAfter(panel) {
    const live = this.#panels.has(panel.call.contactId);
    const candidates = live
      ? [...panel.keys, panel.hangup, panel.answer]
      : [...this.#panels.values()].flatMap((other) => [other.answer, ...other.keys, other.hangup]);
    const target = candidates.find((button) => !button.disabled && button.getClientRects().length > 0);
    (target ?? this.state).focus();
  }
}

/** Whether focus is on something a person can act from (not fallen to the page, nor on a disabled or removed control). */
function focusUsable() {
  const active = document.activeElement;
  if (!active || active === document.body || !active.isConnected) return false;
  return !(active instanceof HTMLButtonElement && active.disabled);
}

/**
 * An element with attributes and children: the panel is built without parsing any HTML.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attributes]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * @param {string} text
 * @returns {Record<string, unknown> | undefined}
 */
function parseJson(text) {
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
