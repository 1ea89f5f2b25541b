// Shared by the allocation suites: a running instance with one priced model whose input
// tokens cost exactly $1 each and output tokens $0.000001 each, so every fixture's cost is
// known by hand; usage posted through the real ingest path.
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsage, type RunningPurser } from '../support/purser';

export const MODEL = 'alloc-model';

export interface UsageFixture {
  id: string;
  at: string;
  /** Whole dollars. */
  input: number;
  /** Millionths of a dollar. */
  output?: number;
  attribution?: Record<string, string>;
  tags?: Record<string, string>;
  model?: string;
}

/** Prices MODEL (or the `extra` models instead) from 2026-01-01: input 1/token, output 1e-6/token. */
export async function priceModels(
  service: RunningPurser,
  extra: string[] = [],
  currency = 'USD',
): Promise<void> {
  for (const model of extra.length > 0 ? extra : [MODEL]) {
    const result = await service.graphql(
      `mutation($input: ModelPriceInput!) { upsertModelPrice(input: $input) { id } }`,
      {
        input: {
          provider: 'openai',
          model,
          currency,
          effectiveFrom: '2026-01-01T00:00:00Z',
          prices: { inputTokens: '1000000', outputTokens: '1' },
        },
      },
    );
    expect(result.errors).toBeUndefined();
  }
}

export async function ingest(
  service: RunningPurser,
  token: string,
  items: UsageFixture[],
): Promise<void> {
  const events = items.map((item) =>
    makeUsageEvent({
      id: item.id,
      source: 'alloc',
      timestamp: item.at,
      provider: 'openai',
      model: item.model ?? MODEL,
      usage: { input_tokens: item.input, output_tokens: item.output ?? 0 },
      attribution: item.attribution ?? {},
      tags: item.tags ?? {},
    }),
  );
  const body = await postUsage(service, token, events);
  expect(body).toMatchObject({ accepted: items.length, rejected: 0 });
}

/** Runs an operation and returns its data, failing the test on any error. */
export async function gql<T = Record<string, unknown>>(
  service: RunningPurser,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const result = await service.graphql<T>(query, variables, token);
  if (result.errors || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

/** Runs an operation that must fail; returns the first error. */
export async function gqlError(
  service: RunningPurser,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{ message: string; code?: string }> {
  const result = await service.graphql(query, variables, token);
  expect(result.errors?.length).toBeGreaterThan(0);
  const [error] = result.errors!;
  return { message: error.message, code: error.extensions?.code };
}

export const CREATE_CENTER = `mutation($input: CostCenterInput!) { createCostCenter(input: $input) { id code } }`;
export const CREATE_RULE = `mutation($input: AllocationRuleInput!) {
  createAllocationRule(input: $input) { id version name priority method effectiveFrom effectiveTo }
}`;
export const UPDATE_RULE = `mutation($id: ID!, $input: AllocationRuleInput!) {
  updateAllocationRule(id: $id, input: $input) { id version effectiveFrom }
}`;
export const REPORT_FIELDS = `rows { costCenter name glAccount parentCode level direct shared trueUp total rolledUp }
  unallocated total currency adjustmentsTotal frozenMonths
  adjustments { priorPeriod costCenter glAccount direct shared trueUp total }`;
export const CHARGEBACK = `query($from: DateTime!, $to: DateTime!, $rollUp: Boolean, $currency: String) {
  chargeback(from: $from, to: $to, rollUp: $rollUp, currency: $currency) { ${REPORT_FIELDS} }
}`;
export const SPEND_TOTAL = `query($from: DateTime!, $to: DateTime!) { spend(from: $from, to: $to) { total } }`;

export interface ReportRow {
  costCenter: string;
  name: string;
  glAccount: string | null;
  parentCode: string | null;
  level: number;
  direct: string;
  shared: string;
  trueUp: string;
  total: string;
  rolledUp: boolean;
}

export interface Report {
  rows: ReportRow[];
  unallocated: string;
  total: string;
  currency: string;
  adjustmentsTotal: string;
  frozenMonths: string[];
  adjustments: {
    priorPeriod: string;
    costCenter: string | null;
    glAccount: string | null;
    direct: string;
    shared: string;
    trueUp: string;
    total: string;
  }[];
}

export async function chargeback(
  service: RunningPurser,
  from: string,
  to: string,
  rollUp = false,
  token?: string,
): Promise<Report> {
  return (await gql<{ chargeback: Report }>(service, CHARGEBACK, { from, to, rollUp }, token))
    .chargeback;
}

/** code → [direct, shared, total] of the rows that are not roll-ups. */
export function byCenter(report: Report): Record<string, [string, string, string]> {
  return Object.fromEntries(
    report.rows
      .filter((row) => !row.rolledUp)
      .map((row) => [row.costCenter, [row.direct, row.shared, row.total]]),
  );
}

export async function createCenters(
  service: RunningPurser,
  centers: { code: string; name?: string; parentCode?: string; glAccount?: string }[],
): Promise<void> {
  for (const center of centers) {
    await gql(service, CREATE_CENTER, { input: { name: center.code, ...center } });
  }
}

export async function createRule(
  service: RunningPurser,
  input: Record<string, unknown>,
): Promise<{ id: string; version: number }> {
  return (
    await gql<{ createAllocationRule: { id: string; version: number } }>(service, CREATE_RULE, {
      input,
    })
  ).createAllocationRule;
}
