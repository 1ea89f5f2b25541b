import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { LoopWatch, threadCpuMs, watchLoop } from './loop-watch';

/**
 * Holds the loop for at least `ms` of wall time and until this thread has used `ms` of CPU:
 * on a loaded machine wall time alone may hold little CPU.
 */
function spin(ms: number): void {
  const start = threadCpuMs();
  const started = performance.now();
  for (;;) {
    if (threadCpuMs() - start >= ms && performance.now() - started >= ms) return;
  }
}

/** Linux's per-thread CPU time, which the watch reads where it can. */
const perThread = existsSync('/proc/thread-self/schedstat');

describe('LoopWatch', () => {
  it('should count a loop held by this process as held', async () => {
    const { maxHeldMs, maxDelayMs } = await watchLoop(async () => {
      await sleep(20);
      spin(300);
      await sleep(20);
    });
    expect(maxHeldMs).toBeGreaterThanOrEqual(280);
    expect(maxDelayMs).toBeGreaterThanOrEqual(280);
  });

  it('should count a hold at the very end of the work', async () => {
    const { maxHeldMs } = await watchLoop(async () => {
      await sleep(20);
      spin(300);
    });
    expect(maxHeldMs).toBeGreaterThanOrEqual(280);
  });

  it('should not count waiting on a timer as held', async () => {
    const { maxHeldMs } = await watchLoop(() => sleep(300));
    expect(maxHeldMs).toBeLessThan(100);
  });

  it('should keep its maxima across starts until reset', async () => {
    const watch = new LoopWatch().start();
    await sleep(10);
    spin(120);
    watch.stop();
    watch.start();
    await sleep(10);
    watch.stop();
    expect(watch.maxHeldMs).toBeGreaterThanOrEqual(100);
    watch.reset();
    expect(watch.maxHeldMs).toBe(0);
  });

  // The case the watch exists for: a process that waits for a core. SIGSTOP stops a child that
  // watches its own loop for 600 ms; its ticks come late by that much, yet nothing held the loop.
  it('should tell a process that was stopped from one that held its loop', async () => {
    // The class as this run compiled it, not a build that may be missing or stale.
    const script = `
      const LoopWatch = ${LoopWatch.toString()};
      const usage = () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1000;
      };
      const watch = new LoopWatch(5, usage).start();
      process.stdout.write('ready\\n');
      setTimeout(() => {
        watch.stop();
        process.stdout.write(JSON.stringify({ held: watch.maxHeldMs, delay: watch.maxDelayMs }));
      }, 1500);
    `;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await ready;
    await sleep(100);
    child.kill('SIGSTOP');
    await sleep(600);
    child.kill('SIGCONT');
    expect(await exited).toBe(0);
    const figures = JSON.parse(out.slice(out.indexOf('\n') + 1)) as { held: number; delay: number };
    expect(figures.delay).toBeGreaterThanOrEqual(500);
    expect(figures.held).toBeLessThan(100);
  });

  // The loop's thread waits without the CPU while another thread of the process spins: the
  // process used the CPU, the loop did not hold it.
  (perThread ? it : it.skip)(
    "should not count the CPU of the process's other threads as the loop's",
    async () => {
      const worker = new Worker(
        `const started = Date.now();
         require('node:worker_threads').parentPort.postMessage('spinning');
         while (Date.now() - started < 700);`,
        { eval: true },
      );
      await new Promise((resolve) => worker.once('message', resolve));
      const watch = new LoopWatch().start();
      // Blocks this thread for 400 ms, asleep: its ticks come late by that much.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
      await sleep(20);
      watch.stop();
      await worker.terminate();
      expect(watch.maxDelayMs).toBeGreaterThanOrEqual(350);
      expect(watch.maxHeldMs).toBeLessThan(100);
    },
  );
});
