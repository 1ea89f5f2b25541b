import { askedFacts, deny } from './decision-answers';
import { TEST_NOW, testContext } from './decision-testing';
import { decisionRecord } from './decision-record';

describe('decisionRecord', () => {
  it('should record the request as asked with the virtual key redacted, and the answer', () => {
    const context = testContext({
      request: {
        provider: 'OpenAI',
        model: 'test-model',
        attribution: { team: 'claimed' },
        virtualKey: 'pk_secret',
        estimatedInputTokens: 10,
        maxOutputTokens: 20,
      },
      attribution: { team: 'search', user: undefined, virtual_key: 'vk-1' },
    });
    const decision = deny(
      askedFacts(context, 'USD'),
      [{ code: 'budget_exceeded', message: 'over', budgetId: 'b-1', retryAfterSeconds: 2 }],
      [],
    );
    expect(decisionRecord(context, decision, 0.25)).toEqual({
      id: 'd-1',
      createdAt: TEST_NOW,
      path: 'graphql',
      keyId: 'key-1',
      provider: 'openai',
      requestedModel: 'test-model',
      model: 'test-model',
      action: 'deny',
      allow: false,
      attribution: { team: 'search', virtual_key: 'vk-1' },
      request: {
        provider: 'OpenAI',
        model: 'test-model',
        estimated_input_tokens: 10,
        max_output_tokens: 20,
        metadata: {},
        virtual_key: 'redacted',
      },
      reasons: [{ code: 'budget_exceeded', message: 'over', budget_id: 'b-1' }],
      budgets: [],
      estimatedCost: null,
      currency: 'USD',
      reservationId: null,
      policyRevision: 'rev-1',
      latencyMs: 0.25,
      maxOutputTokens: 20,
    });
  });
});
