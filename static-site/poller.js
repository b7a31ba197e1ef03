// The panels' refresh loop (alerts.js, charts.js, history.js): once started, a panel asks again a while after each
// refresh ends, while the tab is visible; a hidden tab keeps no timer and asks nothing, and a tab shown again asks at
// once. A refresh asked from outside (an upload, a call that rang) restarts the wait.

/**
 * What happens when a refresh is asked while another still waits for its answer.
 * - `'each'`: both run, and each sets the timer for the next when it ends (the last to end sets it last).
 * - `'latest'`: both run, and only the one asked last sets the timer when it ends; an older one ending leaves it alone.
 * - `'skip'`: the later one does nothing at all; the one running sets the timer when it ends.
 * @typedef {'each' | 'latest' | 'skip'} Overlap
 */

/**
 * A panel's refresh loop around its refresh.
 * @template [T=undefined]
 * @param {(options: T | undefined, superseded: () => boolean) => Promise<void>} run the panel's refresh: ask, then show
 *   the answer; the timer and a tab shown again call it with no options, `start` and `refresh` with theirs.
 *   `superseded()` turns true once a later refresh has been asked: an answer that comes after it can be dropped
 * @param {number} interval milliseconds from the end of one refresh to the next
 * @param {{ overlap?: Overlap }} [settings] overlapping refreshes: `'each'` unless said
 * @returns {{ start(options?: T): void, refresh(options?: T): void }} `start` begins the loop with a refresh now;
 *   `refresh` asks now (before `start` too) and, once started, waits the interval again from its end
 */
export function createPoller(run, interval, { overlap = 'each' } = {}) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let started = false;
  let running = false;
  /**
   * Refreshes asked so far: with `'latest'`, the one that ends while it is still the last asked sets the timer; and a
   * refresh is superseded once another has been asked.
   */
  let asked = 0;

  /** @param {T} [options] */
  async function refresh(options) {
    if (overlap === 'skip' && running) return;
    running = true;
    const turn = ++asked;
    clearTimeout(timer);
    try {
      await run(options, () => turn !== asked);
    } finally {
      running = false;
      if (overlap !== 'latest' || turn === asked) schedule();
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (!document.hidden && started) timer = setTimeout(() => void refresh(), interval);
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) clearTimeout(timer);
    else if (started) void refresh();
  });

  return {
    start(options) {
      started = true;
      void refresh(options);
    },
    refresh: (options) => void refresh(options),
  };
}
