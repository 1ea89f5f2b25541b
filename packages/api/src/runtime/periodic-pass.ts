/**
 * A background job's pass, run on an interval and one at a time: asking for a pass while one
 * is under way joins it, so a slow pass is never stacked on by the timer, shutdown or a test.
 * The timers do not hold the process open; {@link PeriodicPass.stop} clears them and waits for
 * the pass under way. A pass the timer started that fails goes to `onFailure`: nothing awaits it,
 * and an unhandled rejection would end the process.
 */
export class PeriodicPass<T> {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<T>;

  constructor(
    private readonly pass: () => Promise<T>,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Whether {@link PeriodicPass.start} was called (and not stopped since). */
  get started(): boolean {
    return this.timers.length > 0;
  }

  /** Whether a pass is under way. */
  get underWay(): boolean {
    return this.running !== undefined;
  }

  /**
   * A pass every `intervalMs`; with `firstAfterMs`, one more that long after start (a service
   * restarted more often than the interval still runs its job).
   */
  start(intervalMs: number, firstAfterMs?: number): void {
    if (firstAfterMs !== undefined)
      this.timers.push(setTimeout(() => this.runFromTimer(), firstAfterMs));
    this.timers.push(setInterval(() => this.runFromTimer(), intervalMs));
    for (const timer of this.timers) timer.unref();
  }

  private runFromTimer(): void {
    this.run().catch((error: unknown) => this.onFailure(error));
  }

  /** The pass under way, or a new one. */
  run(): Promise<T> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** No more passes from the timers; resolves once the pass under way (if any) has ended. */
  async stop(): Promise<void> {
    // clearTimeout clears an interval too (Node's timers are one kind).
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    await this.running;
  }
}
