import type { AuthorizeRequest, Decision as DecisionValue } from './authorize.service';
import {
  fromOpaInput,
  fromWireReason,
  graphqlAuthorizeRequest,
  restAuthorizeRequest,
  toGraphQLDecision,
  toRestAnswer,
  toWireReason,
} from './authorize-mapping';
import type { AuthorizeInput } from './decision.types';

const request: AuthorizeRequest = {
  provider: 'openai',
  model: 'gpt-4o',
  attribution: { team: 'search', customer: 'acme', session: 's-1', request_path: '/chat' },
  virtualKey: 'pvk_secret',
  estimatedInputTokens: 1200,
  maxOutputTokens: 300,
  metadata: { trace: { id: 'abc' }, tags: ['a', 1] },
};

/** The OPA Data API body a gateway sends for `request` (snake_case). */
function restBody(domain: AuthorizeRequest) {
  return {
    input: {
      provider: domain.provider,
      model: domain.model,
      attribution: domain.attribution,
      virtual_key: domain.virtualKey,
      estimated_input_tokens: domain.estimatedInputTokens,
      max_output_tokens: domain.maxOutputTokens,
      metadata: domain.metadata,
    },
  };
}

/** GraphQL's `AuthorizeInput` for `request` (camelCase). */
function graphqlInput(domain: AuthorizeRequest): AuthorizeInput {
  const { request_path: requestPath, ...attribution } = domain.attribution;
  return {
    provider: domain.provider,
    model: domain.model,
    attribution: { ...attribution, requestPath },
    virtualKey: domain.virtualKey,
    estimatedInputTokens: domain.estimatedInputTokens,
    maxOutputTokens: domain.maxOutputTokens,
    metadata: domain.metadata,
  };
}

const decision: DecisionValue = {
  decisionId: 'd-1',
  allow: false,
  action: 'deny',
  model: 'gpt-4o',
  maxOutputTokens: 300,
  reasons: [
    { code: 'budget_exceeded', message: 'over', budgetId: 'b-1' },
    { code: 'velocity_exceeded', message: 'slow down', retryAfterSeconds: 7 },
  ],
  budgets: [
    {
      id: 'b-1',
      name: 'search',
      mode: 'block',
      limit: '10',
      spent: '9.5',
      reserved: '0.25',
      remaining: '0.25',
      currency: 'USD',
      resetsAt: new Date('2026-12-31T00:00:00.000Z'),
    },
  ],
  reservation: {
    id: 'r-1',
    amount: '0.01',
    currency: 'USD',
    expiresAt: new Date('2026-12-07T12:05:00.000Z'),
  },
  estimatedCost: '0.01',
  currency: 'USD',
  policyRevision: 'rev-1',
  retryAfterSeconds: 7,
};

describe('authorize requests', () => {
  it('should map the REST body and the GraphQL input of one request to the same domain request', () => {
    expect(restAuthorizeRequest(restBody(request))).toEqual(request);
    expect(graphqlAuthorizeRequest(graphqlInput(request))).toEqual(request);
  });

  it('should round-trip a request without the optional fields on both shapes', () => {
    const bare: AuthorizeRequest = {
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      attribution: {},
      estimatedInputTokens: 0,
      maxOutputTokens: 0,
    };
    expect(restAuthorizeRequest(restBody(bare))).toEqual(bare);
    expect(graphqlAuthorizeRequest(graphqlInput(bare))).toEqual(bare);
  });

  it('should leave out empty attribution values on both shapes', () => {
    const body = restBody({ ...request, attribution: { team: 'search', feature: '' } });
    expect(restAuthorizeRequest(body).attribution).toEqual({ team: 'search' });
    const input = graphqlInput({ ...request, attribution: { team: 'search', feature: '' } });
    expect(graphqlAuthorizeRequest(input).attribution).toEqual({ team: 'search' });
  });

  it('should take the provider canonical from REST and drop a claimed virtual key id from GraphQL', () => {
    expect(fromOpaInput({ ...restBody(request).input, provider: 'OpenAI' }).provider).toBe(
      'openai',
    );
    const input = graphqlInput(request);
    input.attribution = { ...input.attribution, virtualKey: 'vk-claimed' };
    expect(graphqlAuthorizeRequest(input).attribution).not.toHaveProperty('virtual_key');
  });

  it('should name a bad field the way each caller named it', () => {
    const tokens = { ...request, estimatedInputTokens: -1 };
    expect(() =>
      restAuthorizeRequest(restBody({ ...tokens, estimatedInputTokens: 2 ** 31 })),
    ).toThrow('input.estimated_input_tokens must be a whole number');
    expect(() => graphqlAuthorizeRequest(graphqlInput(tokens))).toThrow(
      'request.estimatedInputTokens must be a whole number',
    );
    const path = { ...request, attribution: { request_path: '\t' } };
    expect(() => restAuthorizeRequest(restBody(path))).toThrow(
      'input.attribution.request_path must not contain control characters',
    );
    expect(() => graphqlAuthorizeRequest(graphqlInput(path))).toThrow(
      'request.attribution.requestPath must not contain control characters',
    );
  });

  it('should word a body the schema refuses by its path', () => {
    expect(() => restAuthorizeRequest({ input: { provider: 'openai' } })).toThrow(
      /input\.model: .*; input\.estimated_input_tokens: /,
    );
    expect(() => restAuthorizeRequest(undefined)).toThrow(/^input: /);
  });
});

describe('authorize answers', () => {
  it('should answer REST in OPA’s snake_case shape', () => {
    expect(toRestAnswer(decision)).toStrictEqual({
      decision_id: 'd-1',
      result: {
        decision_id: 'd-1',
        allow: false,
        action: 'deny',
        model: 'gpt-4o',
        max_output_tokens: 300,
        reasons: [
          { code: 'budget_exceeded', message: 'over', budget_id: 'b-1' },
          {
            code: 'velocity_exceeded',
            message: 'slow down',
            budget_id: null,
            retry_after_seconds: 7,
          },
        ],
        budgets: [
          {
            id: 'b-1',
            limit: '10',
            spent: '9.5',
            reserved: '0.25',
            remaining: '0.25',
            resets_at: '2026-12-31T00:00:00.000Z',
          },
        ],
        reservation: {
          id: 'r-1',
          amount: '0.01',
          currency: 'USD',
          expires_at: '2026-12-07T12:05:00.000Z',
        },
        estimated_cost: '0.01',
        currency: 'USD',
        policy_revision: 'rev-1',
        retry_after_seconds: 7,
      },
    });
  });

  it('should answer nulls on REST where an allow has no reservation, cost or window end', () => {
    const { reservation: _r, estimatedCost: _c, retryAfterSeconds: _s, ...rest } = decision;
    const answer = toRestAnswer({
      ...rest,
      allow: true,
      action: 'allow',
      reasons: [],
      budgets: [{ ...decision.budgets[0], resetsAt: null }],
    });
    expect(answer.result.reservation).toBeNull();
    expect(answer.result.estimated_cost).toBeNull();
    expect(answer.result.budgets[0].resets_at).toBeNull();
    expect(answer.result).not.toHaveProperty('retry_after_seconds');
  });

  it('should answer GraphQL with the domain decision’s own fields', () => {
    expect(toGraphQLDecision(decision)).toStrictEqual(decision);
  });

  it('should round-trip every reason through its snake_case form', () => {
    for (const reason of decision.reasons)
      expect(fromWireReason(toWireReason(reason))).toEqual(reason);
    // As the decision log writes them: no budget_id when none.
    expect(fromWireReason({ code: 'allowed', message: 'ok' })).toEqual({
      code: 'allowed',
      message: 'ok',
    });
  });
});
