// What unit tests cannot catch: generated allocation inputs (cost centers, rules, previews,
// chargeback ranges, months, reasons) sent as GraphQL variables to a running production-mode
// service. Every answer is data or errors with a code other than INTERNAL_SERVER_ERROR and a
// message; a refused rule's message starts with the field it names; nothing is logged as an
// error.
import fc from 'fast-check';
import { startPurser, type RunningPurser } from '../support/purser';
import { expectNoErrorLogged, post } from '../security/http-probe';
import { CREATE_CENTER, CREATE_RULE, createCenters, REPORT_FIELDS } from './allocation-support';

const RULE_FIELDS = ['name', 'priority', 'match', 'method', 'targets', 'effectiveFrom', 'rules'];

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('CC-A', 'CC-B', 'CC-OFF', 'a\u0000b', 'x'.repeat(300), '', ' ', 'é'),
);
const anyValue = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(text, fc.integer()), { maxKeys: 3 }),
);
const decimal = fc.oneof(
  fc.constantFrom(
    '100',
    '50',
    '0',
    '33.33',
    '-5',
    '1e2',
    '99999999999999999999999999999999999999999',
  ),
  anyValue,
);
const instant = fc.oneof(
  fc.constantFrom(
    '2026-11-01T00:00:00Z',
    '2026-11-01T00:30:00Z',
    '2026-11-02T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:00:00Z',
    'not a date',
  ),
  anyValue,
);
const target = fc.record(
  {
    costCenter: fc.oneof(fc.constantFrom('CC-A', 'CC-B', 'CC-OFF', 'CC-NONE'), anyValue),
    weight: decimal,
  },
  { requiredKeys: [] },
);
const ruleInput = fc.record(
  {
    name: fc.oneof(text, anyValue),
    priority: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), anyValue),
    match: fc.oneof(
      fc.record(
        {
          team: fc.oneof(text, anyValue),
          model: text,
          colour: text,
          tags: fc.oneof(anyValue, fc.dictionary(fc.string({ maxLength: 4 }), anyValue)),
        },
        { requiredKeys: [] },
      ),
      anyValue,
    ),
    method: fc.oneof(fc.constantFrom('DIRECT', 'FIXED', 'EVEN', 'PROPORTIONAL'), anyValue),
    targets: fc.oneof(fc.array(target, { maxLength: 4 }), anyValue),
    effectiveFrom: instant,
  },
  { requiredKeys: [] },
);

const OPERATIONS: [string, fc.Arbitrary<Record<string, unknown>>][] = [
  [CREATE_RULE, fc.record({ input: ruleInput })],
  [
    `mutation($id: ID!, $input: AllocationRuleInput!) { updateAllocationRule(id: $id, input: $input) { id } }`,
    fc.record({
      id: fc.oneof(fc.constantFrom('1', '0', '-1', '99999999999999999999'), text),
      input: ruleInput,
    }),
  ],
  [
    `mutation($id: ID!, $at: DateTime) { deleteAllocationRule(id: $id, effectiveFrom: $at) { id } }`,
    fc.record({ id: fc.oneof(fc.constantFrom('1', '2'), text), at: instant }),
  ],
  [
    CREATE_CENTER,
    fc.record({
      input: fc.record(
        {
          code: fc.oneof(text, fc.constantFrom('CC-NEW', 'cc.ok_1')),
          name: text,
          parentCode: fc.oneof(text, anyValue),
          glAccount: fc.oneof(text, anyValue),
          owner: text,
        },
        { requiredKeys: [] },
      ),
    }),
  ],
  [
    `mutation($code: String!, $input: CostCenterUpdateInput!) { updateCostCenter(code: $code, input: $input) { code } }`,
    fc.record({
      code: fc.oneof(fc.constantFrom('CC-A', 'CC-B'), text),
      input: fc.record({ name: text, parentCode: fc.oneof(text, anyValue) }, { requiredKeys: [] }),
    }),
  ],
  [
    `query($rules: [AllocationRuleInput!]!, $from: DateTime!, $to: DateTime!, $rollUp: Boolean, $currency: String) {
      previewAllocation(rules: $rules, from: $from, to: $to, rollUp: $rollUp, currency: $currency) { ${REPORT_FIELDS} }
    }`,
    fc.record({
      rules: fc.oneof(fc.array(ruleInput, { maxLength: 4 }), anyValue),
      from: instant,
      to: instant,
      rollUp: fc.oneof(fc.boolean(), anyValue),
      currency: fc.oneof(fc.constantFrom('USD', 'eur', 'XXXX'), text),
    }),
  ],
  [
    `query($from: DateTime!, $to: DateTime!, $code: String!) {
      chargeback(from: $from, to: $to, rollUp: true) { total }
      chargebackDetail(costCenter: $code, from: $from, to: $to) { amount }
    }`,
    fc.record({ from: instant, to: instant, code: fc.oneof(fc.constantFrom('CC-A'), text) }),
  ],
  [
    `mutation($month: String!, $reason: String!) { closePeriod(month: $month) reopenPeriod(month: $month, reason: $reason) { state } }`,
    fc.record({
      month: fc.oneof(fc.constantFrom('2026-10', '2026-13', '2099-01', '0000-01'), text),
      reason: fc.oneof(text, anyValue),
    }),
  ],
];

describe('allocation inputs, generated (production mode)', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser({ env: { NODE_ENV: 'production' } });
    await createCenters(service, [{ code: 'CC-A' }, { code: 'CC-B' }, { code: 'CC-OFF' }]);
    await service.graphql(`mutation { deactivateCostCenter(code: "CC-OFF") { code } }`);
  });
  afterAll(() => service?.stop());
  expectNoErrorLogged(() => service);

  it('answers every generated input with data or named errors, never an internal error', async () => {
    const cases = fc
      .tuple(fc.constantFrom(...OPERATIONS.keys()), fc.integer())
      .chain(([index]) =>
        OPERATIONS[index][1].map((variables) => ({ query: OPERATIONS[index][0], variables })),
      );
    await fc.assert(
      fc.asyncProperty(cases, async (request) => {
        const answer = await post(`${service.url}/graphql`, JSON.stringify(request), {
          authorization: `Bearer ${service.adminToken}`,
        });
        const where = `${answer.status} ${answer.text.slice(0, 400)} for ${JSON.stringify(request).slice(0, 600)}`;
        if (answer.status >= 500) throw new Error(`a 5xx: ${where}`);
        const body = answer.body as {
          data?: unknown;
          errors?: { message?: string; path?: string[]; extensions?: { code?: string } }[];
        };
        if (!body.errors) {
          if (!body.data) throw new Error(`neither data nor errors: ${where}`);
          return;
        }
        for (const error of body.errors) {
          if (!error.message) throw new Error(`an unnamed error: ${where}`);
          const code = error.extensions?.code;
          if (!code || code === 'INTERNAL_SERVER_ERROR') throw new Error(`code ${code}: ${where}`);
          // A rule refused by the service names the field first (`targets[0].weight: …`).
          const path = error.path?.[0];
          if (
            code === 'BAD_USER_INPUT' &&
            (path === 'createAllocationRule' || path === 'updateAllocationRule')
          ) {
            const field = error.message.split(/[.:[ ]/)[0];
            if (!RULE_FIELDS.includes(field) && !error.message.includes('A value of this request'))
              throw new Error(`a rule error not naming its field: ${where}`);
          }
        }
      }),
      { numRuns: 400 },
    );
  }, 120_000);
});
