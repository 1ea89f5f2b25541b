import { parseBillingArguments, runBillingSync } from './billing-cli';

const NOW = new Date('2026-07-05T10:00:00Z');

describe('parseBillingArguments', () => {
  it('should default to the last 3 days and today, and take a source and a range', () => {
    expect(parseBillingArguments(['sync'], NOW)).toEqual({
      sourceId: null,
      from: new Date('2026-07-02T00:00:00Z'),
      to: new Date('2026-07-06T00:00:00Z'),
    });
    expect(
      parseBillingArguments([
        'sync',
        '--source',
        's1',
        '--from',
        '2026-07-01',
        '--to',
        '2026-07-03',
      ]),
    ).toEqual({
      sourceId: 's1',
      from: new Date('2026-07-01T00:00:00Z'),
      to: new Date('2026-07-03T00:00:00Z'),
    });
  });

  it('should name what is wrong', () => {
    const problem = (argv: string[]) =>
      (parseBillingArguments(argv) as { problem: string }).problem;
    expect(problem(['pull'])).toMatch(/unknown/);
    expect(problem(['sync', '--from', '2026-07-01'])).toMatch(/give both/);
    expect(problem(['sync', '--from', '2026-02-30', '--to', '2026-03-01'])).toMatch(
      /--from: a UTC day/,
    );
    expect(problem(['sync', '--from', '2026-07-02', '--to', '2026-07-01'])).toMatch(/after --from/);
    expect(problem(['sync', '--source'])).toMatch(/needs a value/);
    expect(problem(['sync', '--key', 'x'])).toMatch(/unknown option/);
  });
});

describe('runBillingSync', () => {
  const sources = [
    { id: 'a', provider: 'openai', name: 'oa' },
    { id: 'b', provider: 'anthropic', name: 'an' },
    { id: 'c', provider: 'focus', name: 'cloud' },
  ].map((source) => ({
    ...source,
    baseUrl: null,
    effectiveBaseUrl: null,
    hasApiKey: true,
    lastSyncedAt: null,
  }));
  const range = { from: new Date('2026-07-01T00:00:00Z'), to: new Date('2026-07-02T00:00:00Z') };

  /** Syncs every source of `list`, source `a` failing with `failure`: the code, what was synced, printed. */
  async function syncAll(list: typeof sources, failure: string) {
    const synced: string[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const code = await runBillingSync(
      {
        list: async () => list,
        sync: async (id) => {
          synced.push(id);
          if (id === 'a') throw new Error(failure);
          return { linesImported: 3, linesUnchanged: 1, linesRestated: 0, warnings: [] };
        },
      },
      { sourceId: null, ...range },
      { out: (text) => out.push(text), err: (text) => err.push(text) },
    );
    return { code, synced, out, err };
  }

  it('should sync every API source, go on after a failure and exit 1', async () => {
    const { code, synced, out, err } = await syncAll(sources, 'provider answered 500');
    expect(code).toBe(1);
    expect(synced).toEqual(['a', 'b']);
    expect(out).toEqual(['an (anthropic): 3 imported, 1 unchanged, 0 restated\n']);
    expect(err).toEqual(['oa (openai): provider answered 500\n']);
  });

  it('should skip an API source without a key, as the scheduled sync does, and exit 0', async () => {
    const keyless = sources.map((source) =>
      source.id === 'a' ? { ...source, hasApiKey: false } : source,
    );
    const { code, synced, out } = await syncAll(
      keyless,
      'billing source "oa" has no apiKey; set one to sync it',
    );
    expect(code).toBe(0);
    expect(synced).toEqual(['b']);
    expect(out).toEqual([
      'oa (openai): skipped, no apiKey\n',
      'an (anthropic): 3 imported, 1 unchanged, 0 restated\n',
    ]);
  });

  it('should refuse an unknown source', async () => {
    const err: string[] = [];
    const code = await runBillingSync(
      { list: async () => sources, sync: async () => Promise.reject(new Error('no')) },
      { sourceId: 'zzz', ...range },
      { out: () => undefined, err: (text) => err.push(text) },
    );
    expect(code).toBe(1);
    expect(err[0]).toMatch(/"zzz" was not found/);
  });
});
