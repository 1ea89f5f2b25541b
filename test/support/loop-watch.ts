import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Runs a full garbage collection (the flag is set at run time: no --expose-gc needed). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * CPU time of the calling thread so far, in milliseconds: Linux's per-thread scheduler
 * statistics (nanoseconds on a CPU), else the whole process's user + system time. The loop
 * runs on the main thread, and the process's other threads (V8's concurrent marking and
 * sweeping, libuv's pool) can use the cores while it waits for one: counted as the loop's,
 * that time failed a CI run (419 ms held, Node 20) in which the loop itself held nothing.
 */
export function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
}

/**
 * Watches how long the event loop is held, counting only the time its thread spent on the CPU
 * meanwhile.
 *
 * A timer ticks every few milliseconds. When a tick comes late, the loop was busy or the
 * process was not running: on a shared CI machine (two cores, two jest workers, Postgres, NATS)
 * a process can wait 300 ms and more for a core while doing nothing wrong. Wall-clock delay
 * alone then fails a test for the machine's load. The CPU time the loop's thread used across the
 * late tick tells the two apart: a request that holds the loop for 300 ms uses 300 ms of CPU
 * in that gap; a thread that waited for a core uses little. `maxHeldMs` is the largest of
 * min(gap, the thread's CPU in the gap) ({@link threadCpuMs}).
 */
export class LoopWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private lastCpu = 0;
  private held = 0;
  private delay = 0;

  constructor(
    private readonly intervalMs = 5,
    /** The loop thread's CPU time so far, in ms (tests of the watch pass their own). */
    private readonly cpuMs: () => number = threadCpuMs,
  ) {}

  /** Starts watching (again); the maxima are kept across starts until {@link reset}. */
  start(): this {
    this.stop();
    this.lastAt = performance.now();
    this.lastCpu = this.cpuMs();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    return this;
  }

  /** Stops watching; the gap since the last tick is counted too. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
  }

  reset(): void {
    this.held = 0;
    this.delay = 0;
  }

  /** The longest the loop was held by work of this process, in milliseconds. */
  get maxHeldMs(): number {
    return this.held;
  }

  /** The longest wall-clock delay of a tick, whatever its cause (load included). */
  get maxDelayMs(): number {
    return this.delay;
  }

  private tick(): void {
    const at = performance.now();
    const cpu = this.cpuMs();
    const gap = at - this.lastAt;
    const cpuMs = cpu - this.lastCpu;
    this.delay = Math.max(this.delay, gap - this.intervalMs);
    this.held = Math.max(this.held, Math.min(gap, cpuMs));
    this.lastAt = at;
    this.lastCpu = cpu;
  }
}

/** Runs `work` and answers its result with the longest hold and delay of the loop meanwhile. */
export async function watchLoop<T>(
  work: () => Promise<T>,
): Promise<{ result: T; maxHeldMs: number; maxDelayMs: number }> {
  // A full collection first: a long-lived test worker's heap is large, and a major collection
  // that its earlier suites made due would otherwise land in this window (one CI run on
  // Node 24 read 952 ms there, where the same request alone holds the loop 50 ms).
  collectGarbage();
  const watch = new LoopWatch().start();
  let result: T;
  try {
    result = await work();
  } finally {
    watch.stop();
  }
  return { result, maxHeldMs: watch.maxHeldMs, maxDelayMs: watch.maxDelayMs };
}
