// An argument with a default that a client sets to null on purpose (a variable left null)
// means the default, never an internal error: spend, unitEconomics and grossMargin.
import { startPurser, type RunningPurser } from '../support/purser';

describe('arguments with a default, given null', () => {
  let service: RunningPurser;
  beforeAll(async () => {
    service = await startPurser();
  });
  afterAll(() => service?.stop());

  it.each([
    [
      'spend',
      `query($c: String) { spend(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", currency: $c) { total currency } }`,
      { c: null },
    ],
    [
      'unitEconomics',
      `query($c: String) { unitEconomics(metric: "tickets", from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", currency: $c) { currency } }`,
      { c: null },
    ],
    [
      'grossMargin',
      `query($c: String, $m: String) { grossMargin(from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", currency: $c, revenueMetric: $m) { currency } }`,
      { c: null, m: null },
    ],
  ])('%s answers its default for a null variable', async (name, query, variables) => {
    const answer = await service.graphql<Record<string, { currency?: string } | unknown[]>>(
      query,
      variables,
    );
    expect(answer.errors).toBeUndefined();
    // spend and grossMargin answer one object that names its currency; unitEconomics answers
    // rows, none on this empty database.
    const value = answer.data![name];
    if (Array.isArray(value)) expect(value).toEqual([]);
    else expect(value!.currency).toBe('USD');
  });
});
