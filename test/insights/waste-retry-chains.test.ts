// RETRY_WASTE's session chains on real Postgres: in a session, the success right after a
// failed call is that call's retry; the session's later successes are its own work and are
// not counted as retries (one early failure does not make a whole agent run "retries").
import { makeUsageEvent } from '@purser/adapters/testing';
import { postUsage, type RunningPurser, startPurser } from '../support/purser';
import { type Finding, WASTE } from './waste-seed';

/** gpt-4o-mini list prices: 1,000 in = 0.00015; 1,000 in + 100 out = 0.00021. */
const FAILED = { input_tokens: 1000 };
const ANSWERED = { input_tokens: 1000, output_tokens: 100 };

describe('RETRY_WASTE session chains', () => {
  let service: RunningPurser;

  beforeAll(async () => {
    service = await startPurser();
    let minute = 0;
    const call = (session: string, failed: boolean) =>
      makeUsageEvent({
        id: `chain-${(minute += 1)}`,
        timestamp: new Date(Date.parse('2026-11-10T08:00:00Z') + minute * 60_000).toISOString(),
        provider: 'openai',
        model: 'gpt-4o-mini',
        usage: failed ? FAILED : ANSWERED,
        attribution: { team: 'search', feature: 'agent-run', session },
        ...(failed ? { status: 'error', error_type: 'rate_limited' } : {}),
      });
    const events = [
      // s1: a failure, its retry, then two calls of the run's own work.
      call('s1', true),
      call('s1', false),
      call('s1', false),
      call('s1', false),
      // s2: work, a failure, its retry.
      call('s2', false),
      call('s2', true),
      call('s2', false),
      // s3: no failure at all.
      call('s3', false),
      call('s3', false),
    ];
    expect((await postUsage(service, await service.keyFor('gateway'), events)).accepted).toBe(
      events.length,
    );
  });
  afterAll(() => service?.stop());

  it('counts the success right after each failure as its retry, and nothing after', async () => {
    const answer = await service.graphql<{ wasteReport: Finding[] }>(
      WASTE,
      { from: '2026-11-10T00:00:00Z', to: '2026-11-11T00:00:00Z' },
      await service.keyFor('viewer'),
    );
    expect(answer.errors).toBeUndefined();
    const retry = answer.data!.wasteReport.filter((finding) => finding.category === 'RETRY_WASTE');
    expect(retry).toHaveLength(1);
    expect(retry[0]).toMatchObject({
      scope: { feature: 'agent-run', team: 'search', provider: 'openai', model: 'gpt-4o-mini' },
      recoverable: '0.0003',
      spend: '0.00072',
    });
    expect(retry[0]!.evidence).toMatchObject({
      calls: 9,
      failedCalls: 2,
      failedCost: '0.0003',
      retriedCalls: 2,
      retriedCost: '0.00042',
      retries: 0,
      sessionChains: 2,
    });
  });
});
