// What unit tests cannot catch: text Postgres cannot hold (NUL) sent to authorize on a
// production-mode instance. It is refused with a 400 naming the field, on REST and GraphQL,
// before any hold or log row; and every decision that was answered is in the audit table,
// even one whose record the database refuses as first written.
import { AUTHORIZE, postDecisionInput, priceModel, PENNY, unique } from '../support/decisions';
import { servePurser } from '../support/purser';
import { MAX_LOOP_DELAY_MS, measureLoopDelay, post } from './http-probe';

const MODEL = 'input-penny';

describe('authorize input the database cannot hold', () => {
  const served = servePurser('gateway', {
    start: { env: { NODE_ENV: 'production' } },
    prepare: (service) => priceModel(service, MODEL, PENNY),
  });

  const rest = async (input: Record<string, unknown>) => {
    const response = await postDecisionInput(served.service, served.key, {
      provider: 'openai',
      model: MODEL,
      attribution: { team: unique('t') },
      estimated_input_tokens: 100,
      max_output_tokens: 0,
      ...input,
    });
    return {
      status: response.status,
      body: (await response.json()) as {
        code?: string;
        message?: string;
        decision_id?: string;
      },
    };
  };

  it.each([
    ['input.attribution.team', { attribution: { team: 'a\u0000b' } }],
    ['input.attribution.request_path', { attribution: { request_path: '/v1/\u0000' } }],
    ['input.model', { model: `${MODEL}\u0000` }],
    ['input.provider', { provider: 'open\u0000ai' }],
    ['input.virtual_key', { virtual_key: 'pvk_\u0000' }],
    ['input.metadata.note', { metadata: { note: 'x\u0000' } }],
    ['input.metadata.list.1', { metadata: { list: ['ok', '\u0000'] } }],
    ['input.attribution.team', { attribution: { team: 'line\nbreak' } }],
  ])('should answer 400 naming %s', async (field, input) => {
    const answer = await rest(input);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('BAD_USER_INPUT');
    expect(answer.body.message).toContain(field);
  });

  it('should answer BAD_USER_INPUT naming the field over GraphQL', async () => {
    for (const [field, request] of [
      ['request.attribution.team', { attribution: { team: 'a\u0000b' } }],
      ['request.attribution.requestPath', { attribution: { requestPath: '\u0000' } }],
      ['request.model', { model: 'm\u0000' }],
      ['request.metadata.deep', { metadata: { deep: { er: '\u0000' } } }],
    ] as const) {
      const result = await served.service.graphql(
        AUTHORIZE,
        {
          request: {
            provider: 'openai',
            model: MODEL,
            estimatedInputTokens: 100,
            maxOutputTokens: 0,
            ...request,
          },
        },
        served.key,
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toContain(field);
    }
  });

  it('should refuse large metadata by its size without holding the event loop', async () => {
    // Bodies built before the clock, just under the raw route's 1 MiB: the size check stops at
    // the bound, whatever was sent past it (it walked all of it before: about 1 s). Parsing
    // the body itself is bounded by the body limit, not by this check (SECURITY.md).
    const list = (count: number) => `[${'0,'.repeat(count - 1)}0]`;
    const restBody = `{"input":{"provider":"openai","model":"${MODEL}","estimated_input_tokens":100,"max_output_tokens":0,"metadata":{"list":${list(500_000)}}}}`;
    const graphqlBody = `{"query":${JSON.stringify(AUTHORIZE)},"variables":{"request":{"provider":"openai","model":"${MODEL}","estimatedInputTokens":100,"maxOutputTokens":0,"metadata":{"list":${list(500_000)}}}}}`;
    const send = (path: string, body: string) =>
      post(`${served.service.url}${path}`, body, {
        authorization: `Bearer ${served.key}`,
        'content-type': 'application/json',
      });
    for (const [path, body, named] of [
      ['/v1/data/purser/authz/decision', restBody, 'input.metadata must be at most 16384 bytes'],
      ['/graphql', graphqlBody, 'request.metadata must be at most 16384 bytes'],
    ] as const) {
      const { result, maxHeldMs } = await measureLoopDelay(() => send(path, body));
      expect(result.text).toContain(named);
      expect(maxHeldMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    }
  });

  it('should record every answered decision, even one the database refuses as first written', async () => {
    const answered = await rest({ model: 'lone \ud800 surrogate' });
    expect(answered.status).toBe(200);
    // A record the database cannot take as it is (NUL in a text column), as a caller that
    // skips the input rules would leave it.
    const id = `refused-${unique('d')}`;
    served.service.purser.services.decisionLog.record({
      id,
      createdAt: new Date(),
      path: 'rest',
      keyId: null,
      provider: 'openai',
      requestedModel: 'nul\u0000model',
      model: 'nul\u0000model',
      action: 'allow',
      allow: true,
      attribution: { team: 'a\u0000b' },
      request: { metadata: { note: '\u0000' } },
      reasons: [],
      budgets: [],
      estimatedCost: '0',
      currency: 'USD',
      reservationId: null,
      policyRevision: 'test',
      latencyMs: 0,
      maxOutputTokens: 0,
    });
    await served.service.purser.services.decisionLog.flush();
    const rows: { id: string; requested_model: string; team: string }[] =
      await served.service.purser.dataSource.query(
        `SELECT id, requested_model, attribution->>'team' AS team FROM decisions WHERE id = ANY($1)`,
        [[answered.body.decision_id, id]],
      );
    expect(rows.map((row) => row.id).sort()).toEqual([answered.body.decision_id, id].sort());
    const refused = rows.find((row) => row.id === id)!;
    expect(refused.requested_model).toBe('nul\ufffdmodel');
    expect(refused.team).toBe('a\ufffdb');
    expect(served.service.purser.services.decisionLog.dropped).toBe(0);
  });
});
