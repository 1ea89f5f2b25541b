// Every Static rule of the FinOps Foundation validator's FOCUS 1.2 rule model, run by the
// TypeScript port (./validator) on a 1.2 export of a real instance with seeded usage (real
// Postgres); a 1.3 export checked against the 1.3 column list (presence of every Mandatory
// column, types, allowed values).
import fs from 'node:fs';
import path from 'node:path';
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsage, type RunningPurser, startPurser } from '../support/purser';
import { getExport } from '../allocation/exports-support';
import { loadCurrencyCodes, loadModel, tableOf } from './validator/validator';
import { failedRules, SKIPPED, staticResults } from './validator/purser-profile';
import { evaluate } from './validator/checks';

describe('FOCUS export against the validator rule model', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
    const gateway = await service.keyFor('gateway');
    const graphql = async (query: string, variables: Record<string, unknown>) => {
      const result = await service.graphql(query, variables);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
    };
    await graphql(
      `
        mutation ($input: CostCenterInput!) {
          createCostCenter(input: $input) {
            code
          }
        }
      `,
      {
        input: { code: 'CC-1', name: 'One' },
      },
    );
    await graphql(
      `
        mutation ($input: CostCenterInput!) {
          createCostCenter(input: $input) {
            code
          }
        }
      `,
      {
        input: { code: 'CC-2', name: 'Two' },
      },
    );
    await graphql(
      `
        mutation ($input: AllocationRuleInput!) {
          createAllocationRule(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          name: 'shared',
          priority: 10,
          match: { team: 'shared' },
          method: 'EVEN',
          targets: [{ costCenter: 'CC-1' }, { costCenter: 'CC-2' }],
          effectiveFrom: '2026-10-01T00:00:00Z',
        },
      },
    );
    const events = [];
    let id = 0;
    for (const day of ['2026-11-02', '2026-11-15', '2026-11-30']) {
      for (const [provider, model] of [
        ['openai', 'gpt-4o-mini'],
        ['anthropic', 'claude-3-haiku-20240307'],
      ]) {
        for (const team of ['shared', 'search', undefined]) {
          id += 1;
          events.push(
            makeUsageEvent({
              id: `v${id}`,
              provider,
              model,
              timestamp: `${day}T12:00:00Z`,
              usage: { input_tokens: 1_000 + id, output_tokens: 3 * id, cache_read_tokens: id },
              attribution: team ? { team, project: `proj-${id % 2}` } : {},
            }),
          );
        }
      }
    }
    expect((await postUsage(service, gateway, events)).accepted).toBe(events.length);
  });
  afterAll(() => service?.stop());

  it('should pass every applicable Static rule of model-1.2.json', async () => {
    const answer = await getExport(service, 'focus?from=2026-11-01&to=2026-12-01&version=1.2');
    expect(answer.status).toBe(200);
    const table = tableOf(answer.text);
    expect(table.rowCount).toBeGreaterThan(20);
    const model = loadModel();
    const statics = Object.entries(model.ModelRules).filter(([, rule]) => rule.Type === 'Static');
    expect(statics).toHaveLength(420);
    const results = staticResults(table);
    expect(results.size).toBe(420);
    expect(failedRules(results)).toEqual([]);
    // The dataset's root rule passes, and most rules really ran.
    expect(results.get('CostAndUsage-D-000-M')?.status).toBe('passed');
    const counts = [...results.values()].reduce<Record<string, number>>((sum, result) => {
      sum[result.status] = (sum[result.status] ?? 0) + 1;
      return sum;
    }, {});
    expect(counts.passed).toBeGreaterThan(240);
    process.stdout.write(`validator rule outcomes: ${JSON.stringify(counts)}\n`);
    // Every skipped rule is one the model has, that applies and fails here (a stale entry goes).
    for (const id of Object.keys(SKIPPED)) {
      expect([id, results.get(id)?.status, results.get(id)?.failingRows.length]).toEqual([
        id,
        'skipped',
        5,
      ]);
    }
    expect(results.get('InvoiceId-C-004-C')?.status).toBe('passed');
  });

  it('should have every 1.3 Mandatory column, with its type and allowed values', async () => {
    const answer = await getExport(service, 'focus?from=2026-11-01&to=2026-12-01&version=1.3');
    expect(answer.status).toBe(200);
    const table = tableOf(answer.text);
    const columns = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', 'columns.json'), 'utf8'),
    ) as { name: string; feature_level: string; type: string; allowed_values: string[] | null }[];
    const context = { table, currencyCodes: loadCurrencyCodes(), modelRule: () => true };
    const problems: string[] = [];
    for (const spec of columns) {
      const present = table.values.has(spec.name);
      if (!present) {
        if (spec.feature_level === 'Mandatory') problems.push(`${spec.name}: missing`);
        continue;
      }
      const check = {
        String: 'FormatString',
        Decimal: 'FormatNumeric',
        'Date/Time': 'FormatDateTime',
        JSON: 'FormatKeyValue',
      }[spec.type];
      if (!check) throw new Error(`unknown type ${spec.type}`);
      if (evaluate({ CheckFunction: check, ColumnName: spec.name }, context).includes(false)) {
        problems.push(`${spec.name}: not ${spec.type}`);
      }
      if (spec.allowed_values) {
        const allowed = new Set(spec.allowed_values);
        for (const value of table.values.get(spec.name)!) {
          if (value !== null && !allowed.has(value)) problems.push(`${spec.name}: ${value}`);
        }
      }
    }
    expect(problems).toEqual([]);
    for (const name of [
      'ServiceProviderName',
      'HostProviderName',
      'ProviderName',
      'PublisherName',
    ]) {
      expect(table.values.get(name)!.every((value) => value !== null)).toBe(true);
    }
  });
});
