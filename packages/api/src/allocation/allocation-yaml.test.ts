import fs from 'node:fs';
import path from 'node:path';
import { allocationFileOf, renderAllocationYaml } from './allocation-yaml-export';
import {
  parseAllocationYaml,
  MAX_ALLOCATION_FILE_BYTES,
  type AllocationFile,
} from './allocation-yaml';
import { costCenter as plainCostCenter, rule as directRule } from './allocation-plan-testing';
import type { AllocationRuleVersionValue, CostCenterValue } from './allocation-types';

const GOOD = `
version: 1
costCenters:
  - { code: CC-ORG, name: Acme, glAccount: "6000" }
  - code: CC-SEARCH
    name: Search
    parent: CC-ORG
    owner: ana@acme.test
  - { code: CC-ADS, name: Ads, parent: CC-ORG, glAccount: ~ }
rules:
  - name: search team
    priority: 10
    method: DIRECT
    match: { team: search }
    targets: [{ costCenter: CC-SEARCH }]
  - name: evals
    priority: 20
    method: FIXED
    match: { feature: evals, tags: { env: prod } }
    targets:
      - { costCenter: CC-SEARCH, weight: 33.3333333333333333333 }
      - { costCenter: CC-ADS, weight: "66.6666666666666666667" }
  - name: rest
    priority: 1000
    method: EVEN
    targets: [{ costCenter: CC-SEARCH }, { costCenter: CC-ADS }]
`;

function problemsOf(text: string): string[] {
  const result = parseAllocationYaml(text);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('parseAllocationYaml', () => {
  it('should read a file with exact weights, null for ~ and an empty match for none', () => {
    const result = parseAllocationYaml(GOOD);
    expect(result).toEqual({
      ok: true,
      file: {
        version: '1',
        costCenters: [
          {
            code: 'CC-ORG',
            name: 'Acme',
            parent: null,
            glAccount: '6000',
            owner: null,
            active: true,
          },
          {
            code: 'CC-SEARCH',
            name: 'Search',
            parent: 'CC-ORG',
            glAccount: null,
            owner: 'ana@acme.test',
            active: true,
          },
          {
            code: 'CC-ADS',
            name: 'Ads',
            parent: 'CC-ORG',
            glAccount: null,
            owner: null,
            active: true,
          },
        ],
        rules: [
          {
            name: 'search team',
            priority: 10,
            method: 'DIRECT',
            match: { team: 'search' },
            targets: [{ costCenter: 'CC-SEARCH' }],
          },
          {
            name: 'evals',
            priority: 20,
            method: 'FIXED',
            match: { feature: 'evals', tags: { env: 'prod' } },
            targets: [
              { costCenter: 'CC-SEARCH', weight: '33.3333333333333333333' },
              { costCenter: 'CC-ADS', weight: '66.6666666666666666667' },
            ],
          },
          {
            name: 'rest',
            priority: 1000,
            method: 'EVEN',
            match: {},
            targets: [{ costCenter: 'CC-SEARCH' }, { costCenter: 'CC-ADS' }],
          },
        ],
      },
    });
  });

  it.each(
    (
      [
        [
          GOOD.replace('costCenter: CC-ADS, weight: "66', 'costCenter: CC-X, weight: "66'),
          'rules[1].targets[1].costCenter: unknown cost center "CC-X"',
        ],
        [
          GOOD.replace('"66.6666666666666666667"', '"66.6666666666666666666"'),
          'rules[1].targets: FIXED weights must sum to exactly 100 (got 99.9999999999999999999)',
        ],
        [
          GOOD.replace('priority: 1000', 'priority: 20'),
          'rules[2].priority: rule "evals" has priority 20 too',
        ],
        [
          GOOD.replace('name: rest', 'name: evals'),
          'rules[2].name: "evals" is listed twice (also rules[1])',
        ],
        [
          GOOD.replace(
            '[{ costCenter: CC-SEARCH }, { costCenter: CC-ADS }]',
            '[{ costCenter: CC-ADS }, { costCenter: CC-ADS }]',
          ),
          'rules[2].targets[1].costCenter: "CC-ADS" is listed twice',
        ],
        [
          GOOD.replace('method: DIRECT', 'method: EVEN').replace(
            'method: EVEN\n    targets: [{',
            'method: DIRECT\n    targets: [{',
          ),
          'rules[2].targets: DIRECT takes exactly one target (got 2)',
        ],
        [
          GOOD.replace('weight: 33.3333333333333333333', 'weight: 33.3333333333333333333').replace(
            'method: FIXED',
            'method: EVEN',
          ),
          'rules[1].targets[0].weight: only FIXED takes weights',
        ],
        [
          // A dropped key would leave the rule matching on its other fields alone.
          GOOD.replace('tags: { env: prod }', 'tags: { __proto__: prod }'),
          'rules[1].match.tags.__proto__: refused: usage events drop a tag of that name, so no rule could match it',
        ],
        [
          GOOD.replace('parent: CC-ORG\n    owner', 'parent: CC-NOPE\n    owner'),
          'costCenters[1].parent: unknown cost center "CC-NOPE"',
        ],
        [
          GOOD.replace(
            '{ code: CC-ORG, name: Acme, glAccount: "6000" }',
            '{ code: CC-ORG, name: Acme, parent: CC-ADS }',
          ),
          'costCenters[0].parent: a cycle (CC-ORG → CC-ADS → CC-ORG)',
        ],
        [
          GOOD.replace('code: CC-ADS,', 'code: CC-ORG,'),
          'costCenters[2].code: "CC-ORG" is listed twice (also costCenters[0])',
        ],
        [
          GOOD.replace('priority: 10\n', 'priority: ten\n'),
          'rules[0].priority: must be a whole number from 0 to 1000000',
        ],
        [
          GOOD.replace('method: EVEN', 'method: SOMETIMES'),
          'rules[2].method: must be one of DIRECT, FIXED, EVEN, PROPORTIONAL',
        ],
        [
          GOOD.replace('match: { team: search }', 'match: { squad: search }'),
          'rules[0].match: unknown key "squad"',
        ],
        [
          GOOD.replace('weight: 33.3333333333333333333', 'weight: 1e2'),
          'rules[1].targets[0].weight: must be a decimal',
        ],
        [GOOD.replace('version: 1', 'version: 2'), 'version: must be 1 (the format version)'],
        [GOOD.replace('name: Acme, ', ''), 'costCenters[0].name: is required'],
        [
          GOOD.replace('targets: [{ costCenter: CC-SEARCH }]', 'targets: []'),
          'rules[0].targets: at least one target',
        ],
        [
          GOOD.replace('targets: [{ costCenter: CC-SEARCH }]', 'targets: CC-SEARCH'),
          'rules[0].targets: must be a list (- item lines)',
        ],
        [`${GOOD}extra: 1\n`, 'file: unknown key "extra"'],
        [
          GOOD.replace('name: Acme,', 'name: Acme, active: maybe,'),
          'costCenters[0].active: must be true or false',
        ],
        [
          GOOD.replace('tags: { env: prod }', 'tags: { "a b.c": [x] }'),
          'rules[1].match.tags["a b.c"]: must be text',
        ],
        ['version: 1\nversion: 1\n', 'file: line 2, column 1: Map keys must be unique'],
        ['- just\n- a list\n', 'file: must be a mapping with version, costCenters and rules'],
        [
          GOOD.replace('name: Acme,', 'name: "Ac\\0me",'),
          'costCenters[0].name: must not contain U+0000',
        ],
        [
          GOOD.replace('name: search team', 'name: "search\\0team"'),
          'rules[0].name: must not contain U+0000',
        ],
        [
          GOOD.replace('match: { team: search }', 'match: { team: "se\\0arch" }'),
          'rules[0].match.team: must not contain U+0000',
        ],
        ['', 'file: must be a mapping with version, costCenters and rules'],
        [
          'version: 1\nrules: &r []\ncostCenters: *r\n',
          'costCenters: anchors and aliases (*r) are not supported',
        ],
        [
          'version: 1\nrules: [[[[[[[[[[[1]]]]]]]]]]]\n',
          'rules[0][0][0][0][0][0][0][0]: nested deeper than 8 levels',
        ],
      ] as [string, string][]
    ).map(([text, problem]) => [problem, text]),
  )('should name the problem: %s', (problem, text) => {
    expect(problemsOf(text)).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  it('should read the example file of the README', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../../../README.md'), 'utf8');
    const example = /```yaml\n(version: 1\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const result = parseAllocationYaml(example!);
    expect(result.ok && result.file.rules.map((rule) => rule.name)).toEqual([
      'search',
      'platform evals',
    ]);
  });

  it('should refuse a file over the size limit before reading it', () => {
    expect(problemsOf(`# ${'x'.repeat(MAX_ALLOCATION_FILE_BYTES)}\n`)).toEqual([
      `file: larger than the limit of ${MAX_ALLOCATION_FILE_BYTES} bytes`,
    ]);
  });

  it('should list at most 50 problems and say how many more', () => {
    const rules = Array.from(
      { length: 80 },
      (_, index) =>
        `  - { name: r${index}, priority: 1, method: EVEN, targets: [{ costCenter: X }] }`,
    ).join('\n');
    const problems = problemsOf(`version: 1\nrules:\n${rules}\n`);
    expect(problems).toHaveLength(51);
    expect(problems[50]).toMatch(/^… and \d+ more problems$/);
  });
});

describe('renderAllocationYaml', () => {
  /** A name YAML must quote. */
  const costCenter = (
    code: string,
    parentCode: string | null,
    extra: Partial<CostCenterValue> = {},
  ): CostCenterValue =>
    plainCostCenter(code, parentCode, { name: `${code} "name": with # and: colon`, ...extra });
  /** An EVEN split between CC-A and CC-B. */
  const rule = (
    name: string,
    priority: number,
    extra: Partial<AllocationRuleVersionValue> = {},
  ): AllocationRuleVersionValue =>
    directRule(name, priority, {
      method: 'EVEN',
      targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B' }],
      ...extra,
    });

  it('should write the stored allocation so that reading it back gives the same file', () => {
    const file = allocationFileOf(
      [
        costCenter('CC-B', 'CC-ROOT', { glAccount: '6100', owner: 'null' }),
        costCenter('CC-A', 'CC-ROOT'),
        costCenter('CC-ROOT', 'CC-PAST', { glAccount: '010' }),
        costCenter('CC-GONE', 'CC-ROOT', { active: false }),
        costCenter('CC-PAST', null, { active: false }),
      ],
      [
        rule('yes', 20, {
          method: 'FIXED',
          targets: [
            { costCenter: 'CC-A', weight: '0.0000000001' },
            { costCenter: 'CC-B', weight: '99.9999999999' },
          ],
        }),
        rule('10', 10, { match: { team: 'true', tags: { 'k: v': '#1', null: '~' } } }),
        rule('deleted', 5, { deleted: true }),
      ],
    );
    // CC-PAST is deactivated but still CC-ROOT's parent: kept, marked; CC-GONE is not.
    expect(file.costCenters.map((entry) => [entry.code, entry.active])).toEqual([
      ['CC-PAST', false],
      ['CC-ROOT', true],
      ['CC-A', true],
      ['CC-B', true],
    ]);
    expect(file.rules.map((entry) => entry.name)).toEqual(['10', 'yes']);
    const text = renderAllocationYaml(file);
    expect(text).toMatch(/^# Purser allocation/);
    expect(parseAllocationYaml(text)).toEqual({ ok: true, file });
  });

  it('should keep an empty file readable', () => {
    const file: AllocationFile = { version: '1', costCenters: [], rules: [] };
    expect(parseAllocationYaml(renderAllocationYaml(file))).toEqual({ ok: true, file });
  });
});
