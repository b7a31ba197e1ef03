import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPoller } from '../../../static-site/poller.js';

/** The page's document as the poller uses it: whether the tab is hidden, and its visibilitychange listeners. */
class FakeDocument {
  hidden = false;
  private readonly listeners: Array<() => void> = [];
  addEventListener(_type: 'visibilitychange', listener: () => void) {
    this.listeners.push(listener);
  }
  show(hidden: boolean) {
    this.hidden = hidden;
    for (const listener of this.listeners) listener();
  }
}

/** A refresh whose answer comes when the test says, recording whether it had been superseded by then. */
function controlledRefresh() {
  const calls: Array<{ answer: () => void; supersededAtAnswer?: boolean }> = [];
  const run = (_options: undefined, superseded: () => boolean) =>
    new Promise<void>((resolve) => {
      const call: (typeof calls)[number] = {
        answer: () => {
          call.supersededAtAnswer = superseded();
          resolve();
        },
      };
      calls.push(call);
    });
  return { calls, run };
}

describe("the page's refresh loop (static-site/poller.js)", () => {
  let page: FakeDocument;
  beforeEach(() => {
    vi.useFakeTimers();
    page = new FakeDocument();
    vi.stubGlobal('document', page);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("with 'latest', tells an older refresh it was superseded, and only the latest sets the timer", async () => {
    // Prepare
    const { calls, run } = controlledRefresh();
    const poller = createPoller(run, 1_000, { overlap: 'latest' });
    poller.start();
    poller.refresh();
    // Act: the later refresh answers first, the older one half an interval after
    calls[1]!.answer();
    await vi.advanceTimersByTimeAsync(500);
    calls[0]!.answer();
    await vi.advanceTimersByTimeAsync(499);
    const beforeInterval = calls.length;
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(calls[0]!.supersededAtAnswer).toBe(true);
    expect(calls[1]!.supersededAtAnswer).toBe(false);
    expect(beforeInterval).toBe(2);
    expect(calls).toHaveLength(3);
  });

  it("with 'skip', does nothing for a refresh asked while one waits for its answer", async () => {
    // Prepare
    const { calls, run } = controlledRefresh();
    const poller = createPoller(run, 1_000, { overlap: 'skip' });
    poller.start();
    // Act
    poller.refresh();
    calls[0]!.answer();
    await vi.advanceTimersByTimeAsync(0);
    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]!.supersededAtAnswer).toBe(false);
  });

  it('keeps no timer while the tab is hidden and asks at once when it is shown again', async () => {
    // Prepare
    const { calls, run } = controlledRefresh();
    createPoller(run, 1_000).start();
    calls[0]!.answer();
    await vi.advanceTimersByTimeAsync(0);
    // Act
    page.show(true);
    await vi.advanceTimersByTimeAsync(5_000);
    const whileHidden = calls.length;
    page.show(false);
    // Assess
    expect(whileHidden).toBe(1);
    expect(calls).toHaveLength(2);
  });
});
