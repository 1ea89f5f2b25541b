import fc from 'fast-check';
import { stringify } from 'yaml';
import { MAX_PROBLEMS_LISTED, parseAllocationYaml } from './allocation-yaml';

/** Where a problem may point: the file, or a path into it. */
const PROBLEM =
  /^(file|version|costCenters|rules)(\[\d+\]|\["(?:[^"\\]|\\.)*"\]|\.[A-Za-z_][\w-]*)*: \S/;

const VALID = {
  version: 1,
  costCenters: [
    { code: 'CC-ORG', name: 'Acme' },
    { code: 'CC-A', name: 'A', parent: 'CC-ORG', glAccount: '6100' },
  ],
  rules: [
    {
      name: 'a',
      priority: 1,
      method: 'DIRECT',
      match: { team: 't' },
      targets: [{ costCenter: 'CC-A' }],
    },
    {
      name: 'b',
      priority: 2,
      method: 'FIXED',
      targets: [
        { costCenter: 'CC-A', weight: '50' },
        { costCenter: 'CC-ORG', weight: '50' },
      ],
    },
  ],
};

/** Any JSON-like value, YAML-writable. */
const anything = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** The valid file with one value somewhere replaced by anything (near misses). */
const nearMiss = fc
  .tuple(
    fc.constantFrom(
      ['version'],
      ['costCenters'],
      ['costCenters', 0],
      ['costCenters', 1, 'parent'],
      ['costCenters', 1, 'code'],
      ['rules', 0, 'priority'],
      ['rules', 0, 'match'],
      ['rules', 0, 'match', 'tags'],
      ['rules', 1, 'method'],
      ['rules', 1, 'targets', 0, 'weight'],
      ['rules', 1, 'targets', 1],
      ['rules', 2],
      ['extra'],
    ),
    anything,
  )
  .map(([path, value]) => {
    const file = structuredClone(VALID) as Record<string, unknown>;
    let at: Record<string | number, unknown> = file;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1]] = value;
    return stringify(file);
  });

describe('parseAllocationYaml on generated input', () => {
  it('should read the valid file', () => {
    expect(parseAllocationYaml(stringify(VALID)).ok).toBe(true);
  });

  it('should never throw, and name a path in every problem, on text, YAML values and near misses', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 100 }),
          anything.map((value) => stringify(value)),
          nearMiss,
        ),
        (text) => {
          const result = parseAllocationYaml(text);
          if (result.ok) return;
          expect(result.problems.length).toBeGreaterThan(0);
          expect(result.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS_LISTED + 1);
          for (const problem of result.problems.slice(0, MAX_PROBLEMS_LISTED)) {
            expect(problem).toMatch(PROBLEM);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('should refuse hostile shapes without hanging: deep nesting, many aliases, a wide file', () => {
    const cases = [
      `version: 1\nrules: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 50 }, (_, index) => `b${index}: &b${index} [*${index === 0 ? 'a' : `b${index - 1}`}, *${index === 0 ? 'a' : `b${index - 1}`}]`).join('\n')}\n`,
      `version: 1\nrules:\n${'  - { name: r, priority: x, method: Y, targets: [] }\n'.repeat(5_000)}`,
    ];
    for (const text of cases) {
      const started = process.hrtime.bigint();
      const result = parseAllocationYaml(text);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      expect(result.ok).toBe(false);
      // Linear, never stuck: generous for a machine under load (yaml reads ~1 MB/s there).
      expect(elapsedMs).toBeLessThan(30_000);
    }
  });
});
