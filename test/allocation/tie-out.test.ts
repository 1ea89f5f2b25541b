// What unit tests cannot catch: for random rule sets (every method, tag matches included) over
// random usage, and random ranges whose edges cut hours, the chargeback the database gives
// ties out to `spend` for the same range to the last decimal — the rollup, the partial-hour
// events and the tagged events are summed and split without losing or creating money.
import fc from 'fast-check';
import { Money } from '@purser/pricing';
import { startPurser, type RunningPurser } from '../support/purser';
import {
  createCenters,
  gql,
  ingest,
  priceModels,
  REPORT_FIELDS,
  SPEND_TOTAL,
  type Report,
  type UsageFixture,
} from './allocation-support';

const CENTERS = ['CC-A', 'CC-B', 'CC-C', 'CC-D'];
const START = Date.parse('2026-11-10T00:00:00Z');
const HOUR = 3_600_000;

/** Deterministic usage: 80 events over two days, some tagged, costs with 6 decimals. */
function usage(): UsageFixture[] {
  const teams = ['a', 'b', 'c', undefined];
  return Array.from({ length: 80 }, (_, index): UsageFixture => {
    const team = teams[index % 4];
    return {
      id: `t${index}`,
      at: new Date(START + ((index * 2_237_000) % (48 * HOUR))).toISOString(),
      input: index % 7,
      output: (index * 7919) % 1_000_000,
      attribution: {
        ...(team ? { team } : {}),
        ...(index % 3 === 0 ? { feature: 'f' } : {}),
      },
      tags: index % 5 === 0 ? { app: index % 10 === 0 ? 'x' : 'y' } : undefined,
    };
  });
}

const ruleArb = fc
  .record({
    method: fc.constantFrom('DIRECT', 'FIXED', 'EVEN', 'PROPORTIONAL'),
    team: fc.constantFrom('a', 'b', 'c', null),
    feature: fc.constantFrom('f', null),
    tag: fc.constantFrom('x', 'y', null),
    targets: fc.shuffledSubarray(CENTERS, { minLength: 1 }),
    weights: fc.array(fc.integer({ min: 1, max: 9999 }), { minLength: 4, maxLength: 4 }),
  })
  .map(({ method, team, feature, tag, targets, weights }) => {
    const chosen = method === 'DIRECT' ? targets.slice(0, 1) : targets;
    let percents: string[] = [];
    if (method === 'FIXED') {
      const total = weights.slice(0, chosen.length).reduce((a, b) => a + b, 0);
      const parts = chosen.map((_, i) =>
        new Money(weights[i]).times(100).div(total).toDecimalPlaces(3),
      );
      parts[parts.length - 1] = new Money(100).minus(
        parts.slice(0, -1).reduce((a, b) => a.plus(b), new Money(0)),
      );
      percents = parts.map((part) => part.toFixed());
    }
    return {
      method,
      match: {
        ...(team ? { team } : {}),
        ...(feature ? { feature } : {}),
        ...(tag ? { tags: { app: tag } } : {}),
      },
      targets: chosen.map((costCenter, i) => ({
        costCenter,
        ...(method === 'FIXED' ? { weight: percents[i] } : {}),
      })),
    };
  });

describe('chargeback ties out to spend (generated rules and ranges)', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
    await priceModels(service);
    await createCenters(
      service,
      CENTERS.map((code) => ({ code })),
    );
    await ingest(service, await service.keyFor('gateway'), usage());
  });
  afterAll(() => service.stop());

  it('previewed chargeback total = Σ rows + unallocated = spend, exactly', async () => {
    const range = fc
      .tuple(fc.integer({ min: -60, max: 48 * 60 }), fc.integer({ min: 1, max: 50 * 60 }))
      .map(([start, length]) => ({
        from: new Date(START + start * 60_000 + 123).toISOString(),
        to: new Date(START + (start + length) * 60_000).toISOString(),
      }));
    await fc.assert(
      fc.asyncProperty(fc.array(ruleArb, { maxLength: 6 }), range, async (drawn, { from, to }) => {
        const rules = drawn.map((rule, index) => ({ ...rule, name: `r${index}`, priority: index }));
        const { previewAllocation: report } = await gql<{ previewAllocation: Report }>(
          service,
          `query($rules: [AllocationRuleInput!]!, $from: DateTime!, $to: DateTime!) {
            previewAllocation(rules: $rules, from: $from, to: $to, rollUp: true) { ${REPORT_FIELDS} }
          }`,
          { rules, from, to },
        );
        const { spend } = await gql<{ spend: { total: string } }>(service, SPEND_TOTAL, {
          from,
          to,
        });
        const sum = report.rows
          .filter((row) => !row.rolledUp)
          .reduce(
            (total, row) =>
              total.plus(row.total).minus(new Money(row.direct).plus(row.shared).plus(row.trueUp)),
            new Money(0),
          );
        expect(sum.isZero()).toBe(true);
        const allocated = report.rows
          .filter((row) => !row.rolledUp)
          .reduce((total, row) => total.plus(row.total), new Money(report.unallocated));
        expect(allocated.toFixed()).toBe(report.total);
        expect(new Money(report.total).toFixed()).toBe(new Money(spend.total).toFixed());
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
