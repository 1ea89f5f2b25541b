/**
 * One load at a time: callers while a load runs share it. A load that started before the
 * last {@link SingleFlight.invalidate} still answers its callers, but its result is not kept.
 */
export class SingleFlight<T> {
  private loading?: Promise<T>;
  private version = 0;

  /** Joins the load in flight, or starts `load` and hands its result to `keep` (unless invalidated meanwhile). */
  run(load: () => Promise<T>, keep: (value: T) => void): Promise<T> {
    if (this.loading) return this.loading;
    const version = this.version;
    const loading = load().then(
      (value) => {
        if (this.loading === loading) this.loading = undefined;
        if (version === this.version) keep(value);
        return value;
      },
      (error: unknown) => {
        if (this.loading === loading) this.loading = undefined;
        throw error;
      },
    );
    this.loading = loading;
    return loading;
  }

  /** Loads in flight are no longer joined, and what they answer is not kept. */
  invalidate(): void {
    this.version += 1;
    this.loading = undefined;
  }
}
