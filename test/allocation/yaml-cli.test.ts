// What unit tests cannot catch: `pnpm purser allocation export|plan|apply FILE` as an
// operator runs it — the built CLI on real Postgres, changes made through the service (the
// API sees them), the export → plan round trip planning nothing, a priority swap applied
// step by step, and invalid files refused with exit 65 before anything is written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { spawnCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startPurser, type RunningPurser } from '../support/purser';

const FIRST = `version: 1
costCenters:
  - { code: CC-ORG, name: Acme, glAccount: "6000" }
  - { code: CC-SEARCH, name: Search, parent: CC-ORG, owner: ana@acme.test }
  - { code: CC-ADS, name: Ads, parent: CC-ORG }
  - { code: CC-OLD, name: Old, parent: CC-ORG }
rules:
  - { name: search, priority: 10, method: DIRECT, match: { team: search }, targets: [{ costCenter: CC-SEARCH }] }
  - name: evals
    priority: 20
    method: FIXED
    match: { feature: evals, tags: { env: prod } }
    targets:
      - { costCenter: CC-SEARCH, weight: 33.3333333333333333333 }
      - { costCenter: CC-ADS, weight: 66.6666666666666666667 }
  - { name: legacy, priority: 30, method: EVEN, targets: [{ costCenter: CC-OLD }, { costCenter: CC-ADS }] }
`;

/** FIRST with the two rules' priorities swapped, CC-ADS renamed, CC-OLD and "legacy" gone. */
const SECOND = `version: 1
costCenters:
  - { code: CC-ORG, name: Acme, glAccount: "6000" }
  - { code: CC-SEARCH, name: Search, parent: CC-ORG, owner: ana@acme.test }
  - { code: CC-ADS, name: Advertising, parent: CC-ORG, glAccount: "6200" }
rules:
  - { name: search, priority: 20, method: DIRECT, match: { team: search }, targets: [{ costCenter: CC-SEARCH }] }
  - name: evals
    priority: 10
    method: FIXED
    match: { feature: evals, tags: { env: prod } }
    targets:
      - { costCenter: CC-SEARCH, weight: 33.3333333333333333333 }
      - { costCenter: CC-ADS, weight: 66.6666666666666666667 }
`;

describe('purser allocation export|plan|apply', () => {
  let database: TestDatabase;
  let directory: string;
  let service: RunningPurser;

  const run = (...args: string[]) =>
    spawnCli(args, {
      PURSER_SEED_CATALOG: 'false',
      ...(database.url ? { DATABASE_URL: database.url } : { PURSER_DATA_DIR: directory }),
    });
  const write = (name: string, text: string) => {
    const file = path.join(directory, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const stored = async () => {
    const result = await service.graphql<{
      costCenters: { code: string; name: string; glAccount: string | null; active: boolean }[];
      allocationRules: {
        name: string;
        priority: number;
        targets: { costCenter: string; weight: string | null }[];
      }[];
    }>(
      `{ costCenters(includeInactive: true) { code name glAccount active }
         allocationRules { name priority targets { costCenter weight } } }`,
    );
    expect(result.errors).toBeUndefined();
    return result.data!;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-allocation-'));
    // Migrates the database; the CLI and this instance then share it.
    service = await startPurser({ database });
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('should plan, apply, export and plan nothing for the export (round trip)', async () => {
    const first = write('first.yaml', FIRST);
    const plan = await run('allocation', 'plan', first);
    expect(plan).toMatchObject({ code: 0, stderr: '' });
    expect(plan.stdout).toContain(
      'Plan: cost centers 4 to create, 0 to update, 0 to deactivate; rules 3 to create, 0 to update, 0 to delete.',
    );
    expect((await stored()).costCenters).toEqual([]);

    const apply = await run('allocation', 'apply', first);
    expect(apply).toMatchObject({ code: 0, stderr: '' });
    expect(apply.stdout).toContain('Applied: cost centers 4 created');
    const state = await stored();
    expect(state.costCenters.map((entry) => entry.code)).toEqual([
      'CC-ADS',
      'CC-OLD',
      'CC-ORG',
      'CC-SEARCH',
    ]);
    expect(state.allocationRules.find((rule) => rule.name === 'evals')!.targets).toEqual([
      { costCenter: 'CC-SEARCH', weight: '33.3333333333333333333' },
      { costCenter: 'CC-ADS', weight: '66.6666666666666666667' },
    ]);

    const exported = path.join(directory, 'exported.yaml');
    expect(await run('allocation', 'export', exported)).toMatchObject({
      code: 0,
      stdout: `exported 4 cost centers and 3 rules to ${exported}\n`,
    });
    const again = await run('allocation', 'plan', exported);
    expect(again).toEqual({
      code: 0,
      stdout: 'No changes: the stored allocation matches the file.\n',
      stderr: '',
    });
    expect(await run('allocation', 'plan', first)).toMatchObject({
      code: 0,
      stdout: 'No changes: the stored allocation matches the file.\n',
    });
    const toStdout = await run('allocation', 'export', '-');
    expect(toStdout.stdout).toBe(fs.readFileSync(exported, 'utf8'));
  });

  it('should apply a priority swap, a rename, a removed cost center and a removed rule', async () => {
    const second = write('second.yaml', SECOND);
    const plan = await run('allocation', 'plan', second);
    expect(plan.code).toBe(0);
    expect(plan.stdout.split('\n')).toEqual([
      '  ~ cost center CC-ADS: name "Ads" → "Advertising"; glAccount none → "6200"',
      '  - rule "legacy" (delete: not in the file)',
      '  ~ rule "search": priority 10 → 1000000 (for now: frees 10)',
      '  ~ rule "evals": priority 20 → 10',
      '  ~ rule "search": priority 1000000 → 20',
      '  - cost center CC-OLD (deactivate: not in the file)',
      'Plan: cost centers 0 to create, 1 to update, 1 to deactivate; rules 0 to create, 2 to update, 1 to delete.',
      '',
    ]);
    expect(await run('allocation', 'apply', second)).toMatchObject({ code: 0, stderr: '' });
    const state = await stored();
    expect(state.allocationRules.map((rule) => [rule.name, rule.priority])).toEqual([
      ['evals', 10],
      ['search', 20],
    ]);
    expect(state.costCenters.find((entry) => entry.code === 'CC-OLD')!.active).toBe(false);
    expect(state.costCenters.find((entry) => entry.code === 'CC-ADS')).toMatchObject({
      name: 'Advertising',
      glAccount: '6200',
    });
    expect((await run('allocation', 'plan', second)).stdout).toBe(
      'No changes: the stored allocation matches the file.\n',
    );
  });

  it('should apply changes from a later hour with --effective-from, comparing with the rules then', async () => {
    const nextHour = new Date(Math.ceil((Date.now() + 1) / 3_600_000) * 3_600_000 + 3_600_000);
    const at = nextHour.toISOString().replace('.000Z', 'Z');
    const third = write(
      'third.yaml',
      SECOND.replace('weight: 33.3333333333333333333', 'weight: 50').replace(
        'weight: 66.6666666666666666667',
        'weight: 50',
      ),
    );
    const apply = await run('allocation', 'apply', third, '--effective-from', at);
    expect(apply).toMatchObject({ code: 0, stderr: '' });
    expect(apply.stdout).toContain(`Rule changes take effect at ${nextHour.toISOString()}.`);
    const weights = async (variables: Record<string, unknown>) => {
      const result = await service.graphql<{
        allocationRules: { name: string; targets: { weight: string | null }[] }[];
      }>(
        'query($at: DateTime) { allocationRules(at: $at) { name targets { weight } } }',
        variables,
      );
      return result
        .data!.allocationRules.find((rule) => rule.name === 'evals')!
        .targets.map((target) => target.weight);
    };
    expect(await weights({})).toEqual(['33.3333333333333333333', '66.6666666666666666667']);
    expect(await weights({ at })).toEqual(['50', '50']);
    expect((await run('allocation', 'plan', third, '--effective-from', at)).stdout).toBe(
      'No changes: the stored allocation matches the file.\n',
    );
    expect((await run('allocation', 'plan', third, '--effective-from', 'tomorrow')).code).toBe(64);
  });

  it.each([
    [
      'an unknown target',
      SECOND.replace('costCenter: CC-ADS, weight', 'costCenter: CC-X, weight'),
      'rules[1].targets[1].costCenter: unknown cost center "CC-X"',
    ],
    [
      'a deactivated cost center brought back',
      SECOND.replace('rules:', '  - { code: CC-OLD, name: Old }\nrules:'),
      'costCenters[3].code: cost center "CC-OLD" is deactivated and cannot be reactivated',
    ],
    [
      'a file over 1 MiB',
      `# ${'x'.repeat(1024 * 1024)}\n${SECOND}`,
      'file: larger than the limit of 1048576 bytes',
    ],
    ['not YAML', 'version: [1\n', 'file: line 2, column 1'],
  ])('should refuse %s with exit 65, naming it, and change nothing', async (_, text, problem) => {
    const before = await stored();
    const file = write('bad.yaml', text);
    for (const command of ['plan', 'apply']) {
      const result = await run('allocation', command, file);
      expect(result.code).toBe(65);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(problem);
    }
    expect(await stored()).toEqual(before);
  });

  it('should answer a missing file with 66 and an unknown subcommand with the usage', async () => {
    expect(await run('allocation', 'plan', path.join(directory, 'missing.yaml'))).toMatchObject({
      code: 66,
    });
    const unknown = await run('allocation', 'destroy', 'x.yaml');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('allocation plan FILE');
  });

  it('should export a rule target deactivated through the API as active: false, and plan nothing for it', async () => {
    const deactivate = await service.graphql(
      'mutation { deactivateCostCenter(code: "CC-ADS") { active } }',
    );
    expect(deactivate.errors).toBeUndefined();
    const exported = path.join(directory, 'after-deactivate.yaml');
    expect((await run('allocation', 'export', exported)).code).toBe(0);
    expect(fs.readFileSync(exported, 'utf8')).toMatch(/code: CC-ADS\n(.*\n)*? {4}active: false\n/);
    expect(await run('allocation', 'plan', exported)).toEqual({
      code: 0,
      stdout: 'No changes: the stored allocation matches the file.\n',
      stderr: '',
    });
  });

  it('should exit 0 or 65 on generated files, never crash', async () => {
    const before = await stored();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom(
            ...SECOND.split('\n').map((_, index, lines) => lines.slice(0, index).join('\n')),
          ),
          fc.nat({ max: SECOND.length }).map((cut) => SECOND.slice(0, cut) + '\u0000: "\\0"'),
        ),
        async (text) => {
          const result = await run('allocation', 'plan', write('generated.yaml', text));
          expect([0, 65]).toContain(result.code);
          if (result.code === 65)
            expect(result.stderr).toMatch(
              /^(\S+ is not a valid allocation file|The file cannot be applied):\n {2}\S/,
            );
        },
      ),
      { numRuns: 8 },
    );
    expect(await stored()).toEqual(before);
    // Each run starts a process (about a second each on a busy machine).
  }, 240_000);
});
