import { RefreshingValue } from './refreshing-value';

/** A load that counts its calls and resolves each one when told to. */
function controlledLoad() {
  const pending: { resolve(value: number): void; reject(error: Error): void }[] = [];
  let calls = 0;
  return {
    load: () =>
      new Promise<number>((resolve, reject) => {
        calls += 1;
        pending.push({ resolve, reject });
      }),
    get calls() {
      return calls;
    },
    resolveNext(value: number) {
      pending.shift()!.resolve(value);
    },
    rejectNext(error: Error) {
      pending.shift()!.reject(error);
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  let now = 1_000;
  const source = controlledLoad();
  const refreshErrors: unknown[] = [];
  const value = new RefreshingValue(source.load, {
    refreshAfterMs: 50,
    expireAfterMs: 100,
    clock: () => now,
    onRefreshError: (error) => refreshErrors.push(error),
  });
  return {
    source,
    value,
    refreshErrors,
    advance(ms: number) {
      now += ms;
    },
    /** The first read, its load answering `first`. */
    async loaded(first: number) {
      const read = value.get();
      source.resolveNext(first);
      await read;
    },
  };
}

describe('RefreshingValue', () => {
  it('should load once for concurrent readers and keep the value', async () => {
    const { source, value } = setup();
    const readers = Promise.all([value.get(), value.get(), value.get()]);
    expect(source.calls).toBe(1);
    source.resolveNext(7);
    expect(await readers).toEqual([7, 7, 7]);
    expect(await value.get()).toBe(7);
    expect(source.calls).toBe(1);
  });

  it('should answer the kept value at once past refreshAfterMs and reload it in the background', async () => {
    const { source, value, advance, loaded } = setup();
    await loaded(1);
    advance(50);
    expect(await value.get()).toBe(1);
    expect(await value.get()).toBe(1);
    expect(source.calls).toBe(2);
    source.resolveNext(2);
    await tick();
    expect(await value.get()).toBe(2);
    expect(source.calls).toBe(2);
  });

  it('should make readers wait for a fresh value past expireAfterMs', async () => {
    const { source, value, advance, loaded } = setup();
    await loaded(1);
    advance(100);
    let answered: number | undefined;
    const reader = value.get().then((result) => (answered = result));
    await tick();
    expect(answered).toBeUndefined();
    source.resolveNext(2);
    await reader;
    expect(answered).toBe(2);
  });

  it('should date a value from the start of its load', async () => {
    const { source, value, advance } = setup();
    const first = value.get();
    advance(60);
    source.resolveNext(1);
    await first;
    // Already 60 ms old when it arrived: past refreshAfterMs.
    expect(await value.get()).toBe(1);
    expect(source.calls).toBe(2);
  });

  it('should not keep a load that an invalidation overtook', async () => {
    const { source, value } = setup();
    const before = value.get();
    value.invalidate();
    const after = value.get();
    expect(source.calls).toBe(2);
    source.resolveNext(1);
    source.resolveNext(2);
    expect(await before).toBe(1);
    expect(await after).toBe(2);
    expect(await value.get()).toBe(2);
    expect(value.peek()).toBe(2);
  });

  it('should reject the waiters of a failed load and try again on the next read', async () => {
    const { source, value } = setup();
    const failed = value.get();
    source.rejectNext(new Error('database down'));
    await expect(failed).rejects.toThrow('database down');
    const retried = value.get();
    expect(source.calls).toBe(2);
    source.resolveNext(3);
    expect(await retried).toBe(3);
  });

  it('should keep answering the kept value when a background reload fails, and say why', async () => {
    const { source, value, advance, refreshErrors, loaded } = setup();
    await loaded(1);
    advance(60);
    expect(await value.get()).toBe(1);
    source.rejectNext(new Error('blip'));
    await tick();
    expect(await value.get()).toBe(1);
    expect(source.calls).toBe(3);
    expect(refreshErrors).toEqual([new Error('blip')]);
  });

  it('should answer peek only while the value has not expired', async () => {
    const { value, advance, loaded } = setup();
    expect(value.peek()).toBeUndefined();
    await loaded(5);
    advance(99);
    expect(value.peek()).toBe(5);
    advance(1);
    expect(value.peek()).toBeUndefined();
  });

  it('should refuse a refresh age past the expiry', () => {
    expect(
      () => new RefreshingValue(async () => 1, { refreshAfterMs: 10, expireAfterMs: 5 }),
    ).toThrow(RangeError);
  });
});
