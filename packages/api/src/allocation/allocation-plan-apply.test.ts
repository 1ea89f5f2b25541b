import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { badInput } from '../errors';
import {
  parseAllocationArguments,
  runAllocationCommand,
  type AllocationCommandApi,
} from './allocation-plan-apply';
import { costCenter, rule as directRule } from './allocation-plan-testing';

const FILE = `version: 1
costCenters:
  - { code: CC-A, name: A }
  - { code: CC-B, name: B }
rules:
  - { name: one, priority: 1, method: DIRECT, targets: [{ costCenter: CC-A }] }
`;

/** A fake service recording every call; `refuse` names a call that answers BAD_USER_INPUT. */
function fakeApi(refuse?: string) {
  const calls: unknown[][] = [];
  const record =
    (name: string, answer: unknown = {}) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      if (name === refuse) throw badInput(`targets[0].costCenter: refused by the fake`);
      return answer;
    };
  const stored = costCenter('CC-OLD', null, { id: 'x', name: 'old' });
  const rule = directRule('gone', 1, { id: 'rule-gone', targets: [{ costCenter: 'CC-OLD' }] });
  const api = {
    listCostCenters: record('listCostCenters', [stored]),
    rulesAt: record('rulesAt', [rule]),
    createCostCenter: record('createCostCenter'),
    updateCostCenter: record('updateCostCenter'),
    deactivateCostCenter: record('deactivateCostCenter'),
    createRule: record('createRule'),
    updateRule: record('updateRule'),
    deleteRule: record('deleteRule'),
  } as unknown as AllocationCommandApi;
  return { api, calls };
}

describe('runAllocationCommand', () => {
  let directory: string;
  let out: string;
  let err: string;
  const output = {
    out: (text: string) => (out += text),
    err: (text: string) => (err += text),
  };
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'purser-apply-'));
    out = '';
    err = '';
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));
  const file = (text: string) => {
    const name = path.join(directory, 'allocation.yaml');
    fs.writeFileSync(name, text);
    return name;
  };

  it('should apply in plan order with the effective hour on every rule change, compared with the rules then', async () => {
    const { api, calls } = fakeApi();
    const effectiveFrom = new Date('2026-12-01T00:00:00Z');
    expect(await runAllocationCommand('apply', file(FILE), api, output, { effectiveFrom })).toBe(0);
    expect(calls.map((call) => call[0])).toEqual([
      'listCostCenters',
      'rulesAt',
      'createCostCenter',
      'createCostCenter',
      'deleteRule',
      'createRule',
      'deactivateCostCenter',
    ]);
    expect(calls[1]).toEqual(['rulesAt', effectiveFrom]);
    expect(calls[4]).toEqual(['deleteRule', 'rule-gone', effectiveFrom, expect.anything()]);
    expect(calls[5][1]).toMatchObject({ name: 'one', effectiveFrom });
    expect(out).toMatch(/^Rule changes take effect at 2026-12-01T00:00:00.000Z\.\n/);
    expect(out).toContain(
      'Applied: cost centers 2 created, 0 updated, 1 deactivated; rules 1 created',
    );
    expect(err).toBe('');
  });

  it('should stop at a refused step, say how many were applied, and exit 65', async () => {
    const { api, calls } = fakeApi('createRule');
    expect(await runAllocationCommand('apply', file(FILE), api, output)).toBe(65);
    expect(calls.map((call) => call[0])).not.toContain('deactivateCostCenter');
    expect(err).toBe(
      'apply stopped at step 4 of 5 (+ rule "one": priority 1, DIRECT to CC-A, matches everything): targets[0].costCenter: refused by the fake\n' +
        '3 step(s) before it were applied; run plan again to see what remains.\n',
    );
  });

  it('should plan without writing anything', async () => {
    const { api, calls } = fakeApi();
    expect(await runAllocationCommand('plan', file(FILE), api, output)).toBe(0);
    expect(calls.map((call) => call[0])).toEqual(['listCostCenters', 'rulesAt']);
    expect(out).toContain('Plan: cost centers 2 to create, 0 to update, 1 to deactivate');
  });
});

describe('parseAllocationArguments', () => {
  it.each([
    [['plan', 'a.yaml'], { command: 'plan', file: 'a.yaml', options: {} }],
    [
      ['apply', 'a.yaml', '--effective-from', '2026-12-01T00:00:00Z'],
      {
        command: 'apply',
        file: 'a.yaml',
        options: { effectiveFrom: new Date('2026-12-01T00:00:00Z') },
      },
    ],
    [['burn', 'a.yaml'], { problem: 'Unknown command: allocation burn a.yaml' }],
    [['plan'], { problem: 'allocation plan: FILE is required' }],
    [['plan', 'a.yaml', '--at', 'x'], { problem: 'allocation plan: unexpected --at x' }],
    [
      ['plan', 'a.yaml', '--effective-from', '2026-12-01T00:30:00Z'],
      {
        problem:
          '--effective-from: must be a whole UTC hour such as 2026-12-01T00:00:00Z (got "2026-12-01T00:30:00Z")',
      },
    ],
    [
      ['plan', 'a.yaml', '--effective-from'],
      { problem: expect.stringContaining('--effective-from: must be') },
    ],
  ])('should read %j', (args, expected) => {
    expect(parseAllocationArguments(args)).toEqual(expected);
  });
});
