import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopWatch, watchLoop } from './loop-watch';

/**
 * Holds the loop for at least `ms` of wall time and until this process has used `ms` of CPU:
 * on a loaded machine wall time alone may hold little CPU, and the process's CPU counts its
 * other threads too (a collector sweeping), so CPU alone may pass in less wall time.
 */
function spin(ms: number): void {
  const start = process.cpuUsage();
  const started = performance.now();
  for (;;) {
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms && performance.now() - started >= ms) return;
  }
}

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
      const watch = new LoopWatch().start();
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
});
