// What unit tests cannot catch: the running API's answers to bad cost centers and rules (each
// error naming its field, checked against what is stored: known and active cost centers,
// priorities in force together) and who may read and write allocation.
import { startPurser, type RunningPurser } from '../support/purser';
import {
  CHARGEBACK,
  CREATE_CENTER,
  CREATE_RULE,
  createCenters,
  createRule,
  gql,
  gqlError,
  UPDATE_RULE,
} from './allocation-support';

const FROM = '2026-11-01T00:00:00Z';
const base = {
  name: 'rule',
  priority: 100,
  method: 'DIRECT',
  targets: [{ costCenter: 'CC-A' }],
  effectiveFrom: FROM,
};

describe('allocation validation and roles', () => {
  let service: RunningPurser;
  let existing: { id: string };

  beforeAll(async () => {
    service = await startPurser();
    await createCenters(service, [
      { code: 'CC-A' },
      { code: 'CC-B', parentCode: 'CC-A' },
      { code: 'CC-GONE' },
    ]);
    await gql(service, `mutation { deactivateCostCenter(code: "CC-GONE") { code } }`);
    existing = await createRule(service, { ...base, name: 'taken', priority: 10 });
  });
  afterAll(() => service.stop());

  it.each([
    [
      'an unknown cost center',
      { targets: [{ costCenter: 'CC-X' }] },
      'targets[0].costCenter: unknown cost center "CC-X"',
    ],
    [
      'a deactivated cost center',
      { targets: [{ costCenter: 'CC-GONE' }] },
      'targets[0].costCenter: cost center "CC-GONE" is deactivated',
    ],
    [
      'FIXED weights not summing to 100',
      {
        method: 'FIXED',
        targets: [
          { costCenter: 'CC-A', weight: '50' },
          { costCenter: 'CC-B', weight: '49.99' },
        ],
      },
      'targets: FIXED weights must sum to exactly 100 (got 99.99)',
    ],
    [
      'a FIXED target without weight',
      { method: 'FIXED', targets: [{ costCenter: 'CC-A' }] },
      'targets[0].weight:',
    ],
    [
      'a zero weight',
      {
        method: 'FIXED',
        targets: [
          { costCenter: 'CC-A', weight: '0' },
          { costCenter: 'CC-B', weight: '100' },
        ],
      },
      'targets[0].weight: must be greater than 0',
    ],
    [
      'a weight for EVEN',
      { method: 'EVEN', targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B', weight: '50' }] },
      'targets[1].weight: only FIXED takes weights',
    ],
    [
      'a target listed twice',
      { method: 'EVEN', targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-A' }] },
      'targets[1].costCenter: "CC-A" is listed twice',
    ],
    [
      'DIRECT with two targets',
      { targets: [{ costCenter: 'CC-A' }, { costCenter: 'CC-B' }] },
      'targets: DIRECT takes exactly one target (got 2)',
    ],
    ['no targets', { targets: [] }, 'targets: at least one target is required'],
    [
      'a tag value that is not a string',
      { match: { tags: { app: 1 } } },
      'match.tags.app: must be a string',
    ],
    [
      'an effectiveFrom off the hour',
      { effectiveFrom: '2026-11-01T00:30:00Z' },
      'effectiveFrom: must be a whole UTC hour',
    ],
    ['a duplicate priority in force', { priority: 10 }, 'priority: rule "taken"'],
    ['a negative priority', { priority: -1 }, 'priority: must be an integer from 0'],
    ['an empty name', { name: '' }, 'name: must be 1 to 200 characters'],
    [
      'a NUL in a match value',
      { match: { team: 'a\u0000b' } },
      'match.team: must not contain U+0000',
    ],
  ])('refuses %s, naming the field', async (_name, change, message) => {
    const error = await gqlError(service, CREATE_RULE, { input: { ...base, ...change } });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(message);
  });

  it('refuses an unknown match key (GraphQL names it) and lets a later priority through', async () => {
    const error = await gqlError(service, CREATE_RULE, {
      input: { ...base, match: { colour: 'red' } },
    });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('colour');
    // The same priority is free once the taken rule is deleted from an hour on.
    await gql(
      service,
      `mutation($id: ID!) { deleteAllocationRule(id: $id, effectiveFrom: "2026-11-05T00:00:00Z") { deleted } }`,
      {
        id: existing.id,
      },
    );
    await expect(
      createRule(service, { ...base, priority: 10, effectiveFrom: '2026-11-04T00:00:00Z' }),
    ).rejects.toThrow('has priority 10 in force at the same time');
    expect(
      await createRule(service, { ...base, priority: 10, effectiveFrom: '2026-11-05T00:00:00Z' }),
    ).toMatchObject({ version: 1 });
  });

  it('refuses an update that starts before the rule latest version, and preview duplicates', async () => {
    const rule = await createRule(service, {
      ...base,
      priority: 50,
      effectiveFrom: '2026-11-10T00:00:00Z',
    });
    const error = await gqlError(service, UPDATE_RULE, {
      id: rule.id,
      input: { ...base, priority: 50, effectiveFrom: '2026-11-09T00:00:00Z' },
    });
    expect(error.message).toMatch(/^effectiveFrom: must not be before the rule's latest version/);
    expect(await gqlError(service, UPDATE_RULE, { id: '999999', input: base })).toMatchObject({
      code: 'NOT_FOUND',
    });
    const preview = await gqlError(
      service,
      `query($rules: [AllocationRuleInput!]!) {
        previewAllocation(rules: $rules, from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z") { total }
      }`,
      { rules: [base, { ...base, name: 'second' }] },
    );
    expect(preview).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(preview.message).toMatch(
      /^rules\[1\]\.priority: 100 is also the priority of rules\[0\]/,
    );
  });

  it('refuses bad cost centers, naming the field', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ code: 'CC-A', name: 'again' }, 'CONFLICT', 'code: cost center "CC-A" already exists'],
      [{ code: 'has space', name: 'x' }, 'BAD_USER_INPUT', 'code: a cost center code is'],
      [
        { code: 'CC-C', name: 'x', parentCode: 'CC-NOPE' },
        'BAD_USER_INPUT',
        'parentCode: unknown cost center "CC-NOPE"',
      ],
      [{ code: 'CC-C', name: '' }, 'BAD_USER_INPUT', 'name: must be 1 to 200 characters'],
    ];
    for (const [input, code, message] of cases) {
      const error = await gqlError(service, CREATE_CENTER, { input });
      expect([code, error.message]).toEqual([code, expect.stringContaining(message)]);
      expect(error.code).toBe(code);
    }
    const cycle = await gqlError(
      service,
      `mutation { updateCostCenter(code: "CC-A", input: { parentCode: "CC-B" }) { code } }`,
    );
    expect(cycle.message).toMatch(/^parentCode: "CC-B" is "CC-A" or below it/);
    expect(
      await gqlError(service, `mutation { deactivateCostCenter(code: "CC-NONE") { code } }`),
    ).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('lets viewers read, finance write, and neither gateways nor strangers in', async () => {
    const viewer = await service.keyFor('viewer');
    const finance = await service.keyFor('finance');
    const gateway = await service.keyFor('gateway');
    const range = { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' };
    expect(await gql(service, CHARGEBACK, range, viewer)).toMatchObject({
      chargeback: { total: '0' },
    });
    expect(
      await gqlError(service, CREATE_CENTER, { input: { code: 'CC-V', name: 'v' } }, viewer),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      await gqlError(service, CREATE_RULE, { input: { ...base, priority: 77 } }, viewer),
    ).toMatchObject({ code: 'FORBIDDEN' });
    expect(await gqlError(service, CHARGEBACK, range, gateway)).toMatchObject({
      code: 'FORBIDDEN',
    });
    const result = await service.graphql(CHARGEBACK, range, null);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await gql(service, CREATE_CENTER, { input: { code: 'CC-F', name: 'by finance' } }, finance);
    await gql(
      service,
      CREATE_RULE,
      { input: { ...base, priority: 78, targets: [{ costCenter: 'CC-F' }] } },
      finance,
    );
  });
});
