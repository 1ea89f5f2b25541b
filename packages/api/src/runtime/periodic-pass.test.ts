import { PeriodicPass } from './periodic-pass';

const unexpected = (error: unknown) => {
  throw new Error(`no pass should fail here: ${String(error)}`);
};

describe('PeriodicPass', () => {
  it('should hand a failed pass the timer started to onFailure, and go on with the next', async () => {
    jest.useFakeTimers();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failures: unknown[] = [];
      let passes = 0;
      const job = new PeriodicPass(
        async () => {
          passes += 1;
          if (passes === 1) throw new Error('database restarting');
          return passes;
        },
        (error) => failures.push(error),
      );
      job.start(1000);
      await jest.advanceTimersByTimeAsync(1000);
      expect(failures).toEqual([new Error('database restarting')]);
      await jest.advanceTimersByTimeAsync(1000);
      expect(passes).toBe(2);
      expect(failures).toHaveLength(1);
      await job.stop();
      // A rejection nothing handled would be reported on a later turn of the loop.
      jest.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      jest.useRealTimers();
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('should join a pass under way instead of starting a second one', async () => {
    let release: (value: number) => void = () => undefined;
    let passes = 0;
    const job = new PeriodicPass(
      () =>
        new Promise<number>((resolve) => {
          passes += 1;
          release = resolve;
        }),
      unexpected,
    );
    const first = job.run();
    const second = job.run();
    expect(job.underWay).toBe(true);
    release(7);
    expect(await first).toBe(7);
    expect(await second).toBe(7);
    expect(passes).toBe(1);
    expect(job.underWay).toBe(false);
    const third = job.run();
    release(8);
    expect(await third).toBe(8);
    expect(passes).toBe(2);
  });

  it('should run on the interval once started, and no more once stopped', async () => {
    jest.useFakeTimers();
    try {
      let passes = 0;
      const job = new PeriodicPass(async () => {
        passes += 1;
      }, unexpected);
      expect(job.started).toBe(false);
      job.start(1000, 10);
      expect(job.started).toBe(true);
      await jest.advanceTimersByTimeAsync(10);
      expect(passes).toBe(1);
      await jest.advanceTimersByTimeAsync(990);
      expect(passes).toBe(2);
      await job.stop();
      expect(job.started).toBe(false);
      await jest.advanceTimersByTimeAsync(5000);
      expect(passes).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('should end stop only once the pass under way has ended', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const job = new PeriodicPass(
      () =>
        new Promise<void>((resolve) => {
          release = () => {
            events.push('pass ended');
            resolve();
          };
        }),
      unexpected,
    );
    void job.run();
    const stopped = job.stop().then(() => events.push('stopped'));
    await Promise.resolve();
    expect(events).toEqual([]);
    release();
    await stopped;
    expect(events).toEqual(['pass ended', 'stopped']);
  });
});
