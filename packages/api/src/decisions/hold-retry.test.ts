import {
  type HoldOutcome,
  type HoldRetrySteps,
  MAX_HOLD_ATTEMPTS,
  runHoldRetry,
} from './hold-retry';

/**
 * A scripted decision: the policy's verdicts, the holds' outcomes and the cache's freshness in
 * the order they are asked; every step it is called for is recorded.
 */
interface Script {
  cacheFresh: boolean;
  /** Verdicts of `decide`, in order (true: allowed with a cost). */
  verdicts: boolean[];
  holds: HoldOutcome[];
  exact: boolean;
  calls: string[];
}

function script(overrides: Partial<Script>): Script {
  return { cacheFresh: true, verdicts: [], holds: [], exact: false, calls: [], ...overrides };
}

const steps: HoldRetrySteps<Script, HoldOutcome> = {
  async readCached(run) {
    run.calls.push('read_cached');
    if (run.cacheFresh) run.exact = false;
    return run.cacheFresh;
  },
  async readFresh(run) {
    run.calls.push('read_fresh');
    run.exact = true;
  },
  snapshotExact: (run) => run.exact,
  decide(run) {
    const verdict = run.verdicts.shift();
    if (verdict === undefined) throw new Error('decided more often than scripted');
    run.calls.push(verdict ? 'allowed' : 'denied');
    return verdict;
  },
  async hold(run) {
    const outcome = run.holds.shift();
    if (outcome === undefined) throw new Error('held more often than scripted');
    run.calls.push(`hold:${outcome}`);
    return outcome;
  },
  holdOutcome: (_, outcome) => outcome,
  takeHeldCounters(run) {
    run.calls.push('take_held_counters');
    run.exact = true;
  },
};

describe('runHoldRetry', () => {
  it('should hold an allowance made on remembered counters', async () => {
    const run = script({ verdicts: [true], holds: ['placed'] });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('held');
    expect(run.calls).toEqual(['read_cached', 'allowed', 'hold:placed', 'take_held_counters']);
  });

  it('should read fresh counters when the remembered ones are too old', async () => {
    const run = script({ cacheFresh: false, verdicts: [true], holds: ['placed'] });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('held');
    expect(run.calls.slice(0, 3)).toEqual(['read_cached', 'read_fresh', 'allowed']);
  });

  it('should check a deny made on remembered counters on a fresh read', async () => {
    const run = script({ verdicts: [false, false] });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('decided');
    expect(run.calls).toEqual(['read_cached', 'denied', 'read_fresh', 'denied']);
  });

  it('should hold when the fresh read allows what remembered counters denied', async () => {
    const run = script({ verdicts: [false, true], holds: ['placed'] });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('held');
  });

  it('should decide again on the counters a refused hold saw', async () => {
    const run = script({ verdicts: [true, false], holds: ['refused'] });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('decided');
    expect(run.calls).toEqual([
      'read_cached',
      'allowed',
      'hold:refused',
      'take_held_counters',
      'denied',
    ]);
  });

  it(`should give up after ${MAX_HOLD_ATTEMPTS} refused holds`, async () => {
    const run = script({
      verdicts: [true, true, true, true],
      holds: ['refused', 'refused', 'refused'],
    });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('exhausted');
    expect(run.calls.filter((call) => call.startsWith('hold'))).toHaveLength(MAX_HOLD_ATTEMPTS);
    expect(run.verdicts).toEqual([]);
  });

  it('should try again on a fresh read, not counting the try, after waiting for lent room', async () => {
    const run = script({
      verdicts: [true, true, true, true, true],
      holds: ['refused', 'waited', 'waited', 'refused', 'placed'],
    });
    await expect(runHoldRetry(steps, run, false)).resolves.toBe('held');
    expect(run.calls).toEqual([
      'read_cached',
      'allowed',
      'hold:refused',
      'take_held_counters',
      'allowed',
      'hold:waited',
      'read_fresh',
      'allowed',
      'hold:waited',
      'read_fresh',
      'allowed',
      'hold:refused',
      'take_held_counters',
      'allowed',
      'hold:placed',
      'take_held_counters',
    ]);
  });

  it('should decide a simulation on fresh counters and hold nothing', async () => {
    const run = script({ verdicts: [true] });
    await expect(runHoldRetry(steps, run, true)).resolves.toBe('simulated');
    expect(run.calls).toEqual(['read_fresh', 'allowed']);
  });

  it("should answer a simulation's deny on the fresh read", async () => {
    const run = script({ verdicts: [false] });
    await expect(runHoldRetry(steps, run, true)).resolves.toBe('decided');
  });

  it('should let a failed read or hold reject the decision', async () => {
    const failing = { ...steps, readCached: () => Promise.reject(new Error('down')) };
    await expect(runHoldRetry(failing, script({}), false)).rejects.toThrow('down');
  });
});
