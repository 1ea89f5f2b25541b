/**
 * What the process hosting the instance did during one measured window of the authorization
 * bench: how late its event loop ran timers (`monitorEventLoopDelay`), and the garbage
 * collections that paused it (a `PerformanceObserver` on `gc`). The instance, the floor's
 * server and the bench's own bookkeeping share this loop (the load generator runs in a
 * worker thread, with a heap and a loop of its own, so its collections are not counted here).
 *
 * A client-side p99 several times the server-side one is time a request spent waiting for the
 * loop: a request due while the loop is held (a collection, a long task) waits for all of it.
 * These figures, beside each window's client p99, show how much of the tail that explains.
 */
import {
  constants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  type IntervalHistogram,
} from 'node:perf_hooks';

/**
 * How often the loop-delay monitor samples, in ms. A stall shorter than this may fall between
 * two samples; 2 ms catches the stalls that matter at a 1 ms request interval while adding a
 * timer wake-up that costs about a microsecond.
 */
export const LOOP_SAMPLE_MS = 2;

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** The collections of a window: how many, their summed and longest pause, and by kind. */
export interface GcFigures {
  count: number;
  totalMs: number;
  maxMs: number;
  byKind: Record<string, { count: number; totalMs: number }>;
}

export interface WindowFigures {
  /** Wall-clock bounds of the window (decisions are recorded with wall-clock times). */
  from: Date;
  to: Date;
  seconds: number;
  /** How late the loop ran a timer due every {@link LOOP_SAMPLE_MS} ms. */
  loopDelay: { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
  gc: GcFigures;
}

interface GcPause {
  start: number;
  duration: number;
  kind: string;
}

/** Watches this process's loop and collections; {@link open} and {@link close} a window. */
export class InstanceWatch {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({
    resolution: LOOP_SAMPLE_MS,
  });
  private pauses: GcPause[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Only the pauses of an open window are kept: the list stays as small as the window.
      if (this.openedAt === undefined) continue;
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      this.pauses.push({
        start: entry.startTime,
        duration: entry.duration,
        kind: (kind !== undefined && GC_KINDS[kind]) || `kind ${kind}`,
      });
    }
  });
  private openedAt: number | undefined;
  private openedWall = new Date();

  start(): void {
    this.delay.enable();
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.delay.disable();
    this.observer.disconnect();
  }

  /** The window starts now: what the loop did before it is forgotten. */
  open(): void {
    this.delay.reset();
    this.pauses = [];
    this.openedAt = performance.now();
    this.openedWall = new Date();
  }

  /** The window ends now; answers what happened in it. */
  async close(): Promise<WindowFigures> {
    const closedAt = performance.now();
    const to = new Date();
    const openedAt = this.openedAt ?? closedAt;
    // The snapshot first: the wait below must not count as the window's loop.
    // The histogram holds the time between two wake-ups of a timer due every LOOP_SAMPLE_MS:
    // what is over that interval is how late the loop ran the timer.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - LOOP_SAMPLE_MS);
    const loopDelay = {
      p50Ms: ms(this.delay.percentile(50)),
      p99Ms: ms(this.delay.percentile(99)),
      maxMs: ms(this.delay.max),
      samples: this.delay.count,
    };
    // gc entries reach the observer asynchronously: let those of the window's end arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    this.openedAt = undefined;
    const pauses = this.pauses.filter(
      (pause) => pause.start >= openedAt && pause.start <= closedAt,
    );
    this.pauses = [];
    const gc: GcFigures = { count: 0, totalMs: 0, maxMs: 0, byKind: {} };
    for (const pause of pauses) {
      gc.count += 1;
      gc.totalMs += pause.duration;
      gc.maxMs = Math.max(gc.maxMs, pause.duration);
      const kind = (gc.byKind[pause.kind] ??= { count: 0, totalMs: 0 });
      kind.count += 1;
      kind.totalMs += pause.duration;
    }
    return {
      from: this.openedWall,
      to,
      seconds: (closedAt - openedAt) / 1000,
      loopDelay,
      gc,
    };
  }
}

/** `minor 41×0.6 ms, major 1×7.9 ms` (each kind: count × its mean pause). */
export function gcKinds(gc: GcFigures): string {
  const kinds = Object.entries(gc.byKind).sort(([, a], [, b]) => b.totalMs - a.totalMs);
  if (kinds.length === 0) return 'none';
  return kinds
    .map(([kind, { count, totalMs }]) => `${kind} ${count}×${(totalMs / count).toFixed(1)} ms`)
    .join(', ');
}
