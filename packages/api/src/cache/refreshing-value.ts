import { SingleFlight } from './single-flight';

/** Timing of a {@link RefreshingValue}. */
export interface RefreshingValueOptions {
  /** Age (ms) from which a read starts a refresh in the background and still answers the value. */
  refreshAfterMs: number;
  /** Age (ms) from which the value is no longer answered: reads wait for a fresh one. */
  expireAfterMs: number;
  /** Milliseconds of a monotonic-enough clock; tests move it. */
  clock?: () => number;
  /** Told of a background refresh that failed (the kept value is still answered). */
  onRefreshError?: (error: unknown) => void;
}

/**
 * A value read from somewhere slow (the database), kept for a bounded time, with one load at
 * a time. Past `refreshAfterMs` a read still answers the kept value at once and reloads it
 * in the background, so the request path never waits for a reload while the value is
 * younger than `expireAfterMs`, which bounds how old an answer can be. `invalidate` drops
 * the value: the next read waits for a load that started after it.
 */
export class RefreshingValue<T> {
  private value?: { data: T; at: number };
  private readonly flight = new SingleFlight<T>();
  private readonly clock: () => number;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly options: RefreshingValueOptions,
  ) {
    if (options.refreshAfterMs > options.expireAfterMs) {
      throw new RangeError('refreshAfterMs must not exceed expireAfterMs');
    }
    this.clock = options.clock ?? Date.now;
  }

  /** The value, loading it when missing or expired; a failed load rejects every waiter. */
  get(): Promise<T> {
    const kept = this.value;
    if (kept) {
      const age = this.clock() - kept.at;
      if (age < this.options.expireAfterMs) {
        if (age >= this.options.refreshAfterMs)
          this.refresh().catch((error: unknown) => this.options.onRefreshError?.(error));
        return Promise.resolve(kept.data);
      }
    }
    return this.refresh();
  }

  /** The kept value when it has not expired, without loading. */
  peek(): T | undefined {
    const kept = this.value;
    return kept && this.clock() - kept.at < this.options.expireAfterMs ? kept.data : undefined;
  }

  /** Forgets the value; loads in flight that started before are not kept. */
  invalidate(): void {
    this.flight.invalidate();
    this.value = undefined;
  }

  private refresh(): Promise<T> {
    // Dated from the start of the load: what it answers is at least that old.
    const started = this.clock();
    return this.flight.run(this.load, (data) => {
      this.value = { data, at: started };
    });
  }
}
