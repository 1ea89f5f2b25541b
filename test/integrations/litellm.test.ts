// LiteLLM's generic API logger against a running instance: its three body formats (JSON
// array, NDJSON, one object), a success, a failure, a cache hit, an Anthropic call whose
// prompt_tokens include the cache; idempotent on the payload id; a bad line dead-lettered
// with its reason while the good ones are stored; more than 10,000 payloads refused whole.
import { servePurser } from '../support/purser';
import {
  anthropicPayload,
  cacheHitPayload,
  failurePayload,
  successPayload,
} from './litellm-payloads';

interface Answer {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: { id: string | null; status: string; reason: string | null }[];
}

describe('POST /v1/integrations/litellm', () => {
  const served = servePurser('gateway');
  const stamp = `${Date.now()}`;

  const post = async (body: string, contentType = 'application/json') => {
    const response = await fetch(`${served.service.url}/v1/integrations/litellm`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${served.key}` },
      body,
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  const row = async (id: string) => {
    const [found] = await served.service.purser.dataSource.query(
      `SELECT provider, model, input_tokens::text, cache_read_tokens::text,
              cache_write_tokens::text, output_tokens::text, team, customer, user_id,
              request_path, tags, status, error_type, cache_hit, cost::text,
              reported_cost::text, reported_currency, latency_ms
         FROM usage_events WHERE source = 'litellm' AND event_id = $1`,
      [id],
    );
    return found as Record<string, unknown> | undefined;
  };

  it('should store a success, a failure and a cache hit from a JSON array, once', async () => {
    const ids = ['ok', 'fail', 'hit'].map((name) => `${name}-${stamp}`);
    const body = JSON.stringify([
      successPayload(ids[0]),
      failurePayload(ids[1]),
      cacheHitPayload(ids[2]),
    ]);
    const first = await post(body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 });
    // LiteLLM drops a batch whose POST failed and may send a payload again: a duplicate.
    expect((await post(body)).body).toMatchObject({ accepted: 0, duplicates: 3, rejected: 0 });

    expect(await row(ids[0])).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: '200',
      cache_read_tokens: '1000',
      cache_write_tokens: '0',
      output_tokens: '50',
      team: 'search',
      customer: 'acme',
      user_id: 'u-42',
      request_path: '/chat/completions',
      tags: { prod: '', chat: '', 'litellm.key_alias': 'search-prod-key' },
      status: 'success',
      error_type: null,
      cache_hit: false,
      cost: '0.000135',
      reported_cost: '0.000135',
      reported_currency: 'USD',
      latency_ms: 800,
    });
    expect(await row(ids[1])).toMatchObject({
      status: 'error',
      error_type: 'RateLimitError',
      input_tokens: '0',
      output_tokens: '0',
      cost: '0',
    });
    expect(await row(ids[2])).toMatchObject({
      cache_hit: true,
      input_tokens: '0',
      cache_read_tokens: '0',
      output_tokens: '0',
      cost: '0',
      reported_cost: '0',
    });
  });

  it('should take the cache reads and writes out of an Anthropic prompt_tokens (team id without alias)', async () => {
    const id = `anthropic-${stamp}`;
    expect((await post(JSON.stringify(anthropicPayload(id)))).body).toMatchObject({ accepted: 1 });
    expect(await row(id)).toMatchObject({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      input_tokens: '100',
      cache_read_tokens: '2000',
      cache_write_tokens: '500',
      output_tokens: '80',
      team: 'team-3f1a',
      reported_cost: '0.0027',
    });
  });

  it('should store every good NDJSON line and dead-letter the bad ones with their reason', async () => {
    const ids = ['a', 'b', 'c'].map((name) => `nd-${name}-${stamp}`);
    const negative = successPayload(ids[2], { completion_tokens: -1 });
    delete (negative.hidden_params as Record<string, unknown>).usage_object;
    const body = [
      JSON.stringify(successPayload(ids[0])),
      '{"id": "broken-line-' + stamp + '", "model": ',
      JSON.stringify(failurePayload(ids[1])),
      JSON.stringify(negative),
      '',
    ].join('\n');
    const answer = await post(body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: 2 });
    expect(answer.body.results.map((result) => result.status)).toEqual([
      'accepted',
      'rejected',
      'accepted',
      'rejected',
    ]);
    expect(answer.body.results[1].reason).toMatch(/JSON/);
    expect(answer.body.results[3]).toMatchObject({ id: ids[2] });
    expect(answer.body.results[3].reason).toContain('output_tokens');
    expect(await row(ids[0])).toBeDefined();
    expect(await row(ids[1])).toBeDefined();
    const letters = await served.service.purser.dataSource.query(
      `SELECT reason, payload FROM dead_letters WHERE subject = 'litellm' AND (event_id = $1 OR payload LIKE $2)`,
      [ids[2], `%broken-line-${stamp}%`],
    );
    expect(letters).toHaveLength(2);
  });

  it('should refuse more than 10,000 payloads with 413, as an array or NDJSON, storing none', async () => {
    const letters = async () =>
      Number(
        (
          await served.service.purser.dataSource.query(
            `SELECT count(*)::int AS n FROM dead_letters WHERE subject = 'litellm'`,
          )
        )[0].n,
      );
    const before = await letters();
    const id = `over-${stamp}`;
    // One good payload among empty ones: without the limit it would be stored.
    const array = JSON.stringify([
      successPayload(id),
      ...Array.from({ length: 10_000 }, () => ({})),
    ]);
    const ndjson = [JSON.stringify(successPayload(id)), ...Array(10_000).fill('{}')].join('\n');
    for (const body of [array, ndjson]) {
      const answer = await post(body);
      expect(answer).toEqual({
        status: 413,
        body: {
          code: 'PAYLOAD_TOO_LARGE',
          message: 'at most 10000 payloads per request (got 10001); send smaller batches',
          limit: 10_000,
          count: 10_001,
        },
      });
    }
    expect(await row(id)).toBeUndefined();
    expect(await letters()).toBe(before);
  });

  it('should refuse what is not a logger body, naming why', async () => {
    expect(await post('   ')).toMatchObject({ status: 400, body: { code: 'BAD_USER_INPUT' } });
    expect((await post('[{"id": 1}')).body).toMatchObject({ code: 'BAD_USER_INPUT' });
    const viewer = await served.service.keyFor('viewer');
    const refused = await fetch(`${served.service.url}/v1/integrations/litellm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify(successPayload(`viewer-${stamp}`)),
    });
    expect(refused.status).toBe(403);
  });
});
