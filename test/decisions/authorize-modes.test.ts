// What unit tests cannot catch: the whole decision path against a real database and the
// compiled policy — every enforcement mode, nested budgets held all-or-nothing, virtual keys,
// velocity counters, roles, and the answer a simulation gives without holding anything.
import {
  AUTHORIZE,
  authorize,
  budgetState,
  createBudget,
  type DecisionAnswer,
  priceModel,
  SIMULATE,
  unique,
} from '../support/decisions';
import { servePurser, startPurser, type RunningPurser } from '../support/purser';

/** Prices per 1M tokens: with 1000 input tokens, `penny` costs exactly $0.01. */
const MODELS = {
  penny: { inputTokens: '10', outputTokens: '0' },
  // 1000 input + 1000 output = $0.01 + $0.01.
  metered: { inputTokens: '10', outputTokens: '10' },
  big: { inputTokens: '100', outputTokens: '0' },
  small: { inputTokens: '10', outputTokens: '0' },
};

const FIXED_NOW = new Date('2026-03-10T12:00:10Z');

function ask(model: string, attribution: Record<string, string>, extra = {}) {
  return {
    provider: 'openai',
    model,
    attribution,
    estimatedInputTokens: 1000,
    maxOutputTokens: 1000,
    ...extra,
  };
}

const codes = (decision: DecisionAnswer) => decision.reasons.map((reason) => reason.code);

describe('authorize: modes, scopes, keys and limits', () => {
  let service: RunningPurser;
  let gateway: string;
  let viewer: string;
  beforeAll(async () => {
    // A still clock keeps velocity windows from turning over between calls.
    service = await startPurser({ clock: () => new Date(FIXED_NOW) });
    gateway = await service.keyFor('gateway');
    viewer = await service.keyFor('viewer');
    for (const [model, prices] of Object.entries(MODELS)) {
      await priceModel(service, `t-${model}`, prices);
    }
  });
  afterAll(() => service.stop());

  describe('BLOCK', () => {
    it('should allow up to the limit exactly and deny the request that would pass it', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'block',
        scope: { team },
        period: 'DAILY',
        limit: '0.03',
        mode: 'BLOCK',
      });
      const answers: DecisionAnswer[] = [];
      for (let index = 0; index < 4; index += 1) {
        answers.push(await authorize(service, ask('t-penny', { team }), gateway));
      }
      expect(answers.map((answer) => [answer.action, answer.allow])).toEqual([
        ['ALLOW', true],
        ['ALLOW', true],
        ['ALLOW', true],
        ['DENY', false],
      ]);
      expect(answers[2]!.budgets).toEqual([
        expect.objectContaining({ id: budget.id, limit: '0.03', reserved: '0.03', remaining: '0' }),
      ]);
      expect(answers[3]!.reasons).toEqual([
        expect.objectContaining({ code: 'budget_exceeded', budgetId: budget.id }),
      ]);
      expect(answers[3]!.reservation).toBeNull();
      expect(answers[0]!.reservation).toMatchObject({ amount: '0.01', currency: 'USD' });
      expect(answers[0]!.estimatedCost).toBe('0.01');
      expect(await budgetState(service, budget.id)).toMatchObject({
        spent: '0',
        reserved: '0.03',
        remaining: '0',
      });
    });

    it('should deny an unpriced model when a BLOCK budget applies', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'block unpriced',
        scope: { team },
        period: 'TOTAL',
        limit: '100',
        mode: 'BLOCK',
      });
      const answer = await authorize(service, ask('t-nobody-priced-this', { team }), gateway);
      expect(answer).toMatchObject({ allow: false, action: 'DENY', reservation: null });
      expect(answer.reasons).toEqual([
        expect.objectContaining({ code: 'unpriced_model', budgetId: budget.id }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0' });
    });

    it('should cap max output tokens to what the remaining budget covers', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'cap',
        scope: { team },
        period: 'TOTAL',
        limit: '0.015',
        mode: 'BLOCK',
      });
      // Input costs $0.01; $0.005 left buys 500 output tokens at $10/1M.
      const answer = await authorize(service, ask('t-metered', { team }), gateway);
      expect(answer).toMatchObject({
        allow: true,
        action: 'WARN',
        model: 't-metered',
        maxOutputTokens: 500,
        estimatedCost: '0.015',
        reservation: expect.objectContaining({ amount: '0.015' }),
      });
      expect(answer.reasons).toEqual([
        expect.objectContaining({ code: 'max_output_tokens_capped', budgetId: budget.id }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({
        reserved: '0.015',
        remaining: '0',
      });
    });
  });

  describe('DOWNGRADE', () => {
    it('should call the next model of the chain that fits and hold what that one costs', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'downgrade',
        scope: { team },
        period: 'TOTAL',
        limit: '0.05',
        mode: 'DOWNGRADE',
        downgradeChain: ['t-big', 't-small'],
      });
      const answer = await authorize(service, ask('t-big', { team }), gateway);
      expect(answer).toMatchObject({
        allow: true,
        action: 'DOWNGRADE',
        model: 't-small',
        estimatedCost: '0.01',
        reservation: expect.objectContaining({ amount: '0.01' }),
      });
      expect(codes(answer)).toContain('downgraded');
      expect(answer.reasons.find((reason) => reason.code === 'downgraded')?.budgetId).toBe(
        budget.id,
      );
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0.01' });
    });

    it('should deny when no model of the chain fits', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'downgrade none fits',
        scope: { team },
        period: 'TOTAL',
        limit: '0.005',
        mode: 'DOWNGRADE',
        downgradeChain: ['t-big', 't-small'],
      });
      const answer = await authorize(service, ask('t-big', { team }), gateway);
      expect(answer).toMatchObject({
        allow: false,
        action: 'DENY',
        model: 't-big',
        reservation: null,
      });
      expect(answer.reasons).toEqual([
        expect.objectContaining({ code: 'budget_exceeded', budgetId: budget.id }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0' });
    });
  });

  describe('ALERT_ONLY and soft thresholds', () => {
    it('should allow past an ALERT_ONLY limit with a warning and still hold', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'alert only',
        scope: { team },
        period: 'TOTAL',
        limit: '0.005',
        mode: 'ALERT_ONLY',
      });
      const answer = await authorize(service, ask('t-penny', { team }), gateway);
      expect(answer).toMatchObject({
        allow: true,
        action: 'WARN',
        model: 't-penny',
        reservation: expect.objectContaining({ amount: '0.01' }),
      });
      expect(answer.reasons).toEqual([
        expect.objectContaining({ code: 'budget_exceeded_alert_only', budgetId: budget.id }),
      ]);
      expect(await budgetState(service, budget.id)).toMatchObject({
        reserved: '0.01',
        remaining: '0',
      });
    });

    it('should warn with budget_threshold once a soft threshold is reached', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'soft',
        scope: { team },
        period: 'TOTAL',
        limit: '0.04',
        mode: 'BLOCK',
        softThresholds: [0.5],
      });
      const first = await authorize(service, ask('t-penny', { team }), gateway);
      expect(first).toMatchObject({ allow: true, action: 'ALLOW', reasons: [] });
      const second = await authorize(service, ask('t-penny', { team }), gateway);
      expect(second).toMatchObject({ allow: true, action: 'WARN' });
      expect(second.reasons).toEqual([
        expect.objectContaining({ code: 'budget_threshold', budgetId: budget.id }),
      ]);
      expect(second.reservation).toMatchObject({ amount: '0.01' });
    });
  });

  describe('simulateDecision', () => {
    it('should answer as authorize would without holding anything', async () => {
      const team = unique('t');
      const budget = await createBudget(service, {
        name: 'simulated',
        scope: { team },
        period: 'TOTAL',
        limit: '0.05',
        mode: 'DOWNGRADE',
        downgradeChain: ['t-big', 't-small'],
      });
      const simulated = await service.graphql<{ simulateDecision: DecisionAnswer }>(
        SIMULATE,
        { request: ask('t-big', { team }) },
        viewer,
      );
      expect(simulated.errors).toBeUndefined();
      const simulation = simulated.data!.simulateDecision;
      expect(simulation).toMatchObject({
        allow: true,
        action: 'DOWNGRADE',
        model: 't-small',
        estimatedCost: '0.01',
        reservation: null,
      });
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0', spent: '0' });
      const real = await authorize(service, ask('t-big', { team }), gateway);
      expect({
        allow: real.allow,
        action: real.action,
        model: real.model,
        estimatedCost: real.estimatedCost,
        reasons: real.reasons,
      }).toEqual({
        allow: simulation.allow,
        action: simulation.action,
        model: simulation.model,
        estimatedCost: simulation.estimatedCost,
        reasons: simulation.reasons,
      });
      expect(real.reservation).toMatchObject({ amount: '0.01' });
      expect(await budgetState(service, budget.id)).toMatchObject({ reserved: '0.01' });
    });
  });

  describe('roles', () => {
    it('should let a gateway authorize and a viewer only simulate', async () => {
      const team = unique('t');
      const request = ask('t-penny', { team });
      expect((await authorize(service, request, gateway)).allow).toBe(true);
      const simulated = await service.graphql(SIMULATE, { request }, viewer);
      expect(simulated.errors).toBeUndefined();
      const refused = await service.graphql(AUTHORIZE, { request }, viewer);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const anonymous = await service.graphql(AUTHORIZE, { request }, null);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('virtual keys', () => {
    const CREATE_KEY = `mutation($input: CreateVirtualKeyInput!) {
      createVirtualKey(input: $input) { id secret attribution allowedModels budgets { id limit } }
    }`;

    it('should bind attribution, models and a budget to the key, and refuse unknown or revoked keys', async () => {
      const keyTeam = unique('t');
      const claimedTeam = unique('t');
      const keyTeamBudget = await createBudget(service, {
        name: 'key team',
        scope: { team: keyTeam },
        period: 'TOTAL',
        limit: '10',
        mode: 'BLOCK',
      });
      const claimedTeamBudget = await createBudget(service, {
        name: 'claimed team',
        scope: { team: claimedTeam },
        period: 'TOTAL',
        limit: '10',
        mode: 'BLOCK',
      });
      const created = await service.graphql<{
        createVirtualKey: {
          id: string;
          secret: string;
          attribution: Record<string, string>;
          allowedModels: string[];
          budgets: { id: string; limit: string }[];
        };
      }>(CREATE_KEY, {
        input: {
          name: unique('key'),
          attribution: { team: keyTeam },
          allowedModels: ['t-penny'],
          budgets: [{ period: 'TOTAL', limit: '0.02' }],
        },
      });
      expect(created.errors).toBeUndefined();
      const key = created.data!.createVirtualKey;
      expect(key).toMatchObject({ attribution: { team: keyTeam }, allowedModels: ['t-penny'] });
      const keyBudget = key.budgets[0]!;
      expect(keyBudget.limit).toBe('0.02');

      const withKey = (model: string, extra = {}) =>
        ask(model, { team: claimedTeam }, { virtualKey: key.secret, ...extra });
      const first = await authorize(service, withKey('t-penny'), gateway);
      expect(first).toMatchObject({ allow: true, action: 'ALLOW' });
      expect(first.budgets.map((budget) => budget.id).sort()).toEqual(
        [keyTeamBudget.id, keyBudget.id].sort(),
      );
      expect(await budgetState(service, claimedTeamBudget.id)).toMatchObject({ reserved: '0' });
      expect(await budgetState(service, keyTeamBudget.id)).toMatchObject({ reserved: '0.01' });

      // Without output it would fit the key's budget: only the model list refuses it.
      const outside = await authorize(
        service,
        withKey('t-metered', { maxOutputTokens: 0 }),
        gateway,
      );
      expect(outside).toMatchObject({ allow: false, action: 'DENY', reservation: null });
      expect(codes(outside)).toEqual(['model_not_allowed']);

      expect((await authorize(service, withKey('t-penny'), gateway)).allow).toBe(true);
      const overKeyBudget = await authorize(service, withKey('t-penny'), gateway);
      expect(overKeyBudget).toMatchObject({ allow: false, action: 'DENY' });
      expect(overKeyBudget.reasons).toEqual([
        expect.objectContaining({ code: 'budget_exceeded', budgetId: keyBudget.id }),
      ]);
      expect(await budgetState(service, keyBudget.id)).toMatchObject({
        reserved: '0.02',
        remaining: '0',
      });

      const unknown = await authorize(
        service,
        ask('t-penny', { team: keyTeam }, { virtualKey: 'vk-not-a-real-key' }),
        gateway,
      );
      expect(unknown).toMatchObject({ allow: false, action: 'DENY', reservation: null });
      expect(codes(unknown)).toEqual(['virtual_key_invalid']);

      const revoked = await service.graphql<{ revokeVirtualKey: boolean }>(
        'mutation($id: ID!) { revokeVirtualKey(id: $id) }',
        { id: key.id },
      );
      expect(revoked.data?.revokeVirtualKey).toBe(true);
      const afterRevoke = await authorize(service, withKey('t-penny'), gateway);
      expect(afterRevoke).toMatchObject({ allow: false, action: 'DENY' });
      expect(codes(afterRevoke)).toEqual(['virtual_key_invalid']);
    });
  });

  describe('velocity limits', () => {
    it('should deny the 4th request of a session within the window and leave other sessions alone', async () => {
      const created = await service.graphql<{ createVelocityLimit: { id: string } }>(
        `mutation($input: CreateVelocityLimitInput!) { createVelocityLimit(input: $input) { id } }`,
        {
          input: {
            name: 'three a minute',
            scope: 'session',
            metric: 'REQUESTS',
            limit: '3',
            windowSeconds: 60,
          },
        },
      );
      expect(created.errors).toBeUndefined();
      const team = unique('t');
      const session = unique('s');
      const answers: DecisionAnswer[] = [];
      for (let index = 0; index < 4; index += 1) {
        answers.push(await authorize(service, ask('t-penny', { team, session }), gateway));
      }
      expect(answers.map((answer) => answer.action)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'DENY']);
      const denied = answers[3]!;
      expect(codes(denied)).toEqual(['rate_limited']);
      // The clock stands at 12:00:10; the minute window ends at 12:01:00.
      expect(denied.retryAfterSeconds).toBe(50);
      expect(denied.reasons[0]!.retryAfterSeconds).toBe(50);
      expect(denied.reservation).toBeNull();

      const other = await authorize(
        service,
        ask('t-penny', { team, session: unique('s') }),
        gateway,
      );
      expect(other).toMatchObject({ allow: true, action: 'ALLOW' });

      await service.graphql('mutation($id: ID!) { deleteVelocityLimit(id: $id) }', {
        id: created.data!.createVelocityLimit.id,
      });
    });
  });
});

describe('authorize: nested budgets', () => {
  // An org budget (scope {}) applies to every request, so this service has a database of its own.
  const served = servePurser('gateway', {
    prepare: (service) => priceModel(service, 't-penny', MODELS.penny),
  });

  it('should hold on org, team and feature budgets and deny all-or-nothing at the tightest', async () => {
    const team = unique('t');
    const feature = unique('f');
    const org = await createBudget(served.service, {
      name: 'org',
      period: 'MONTHLY',
      limit: '100',
      mode: 'BLOCK',
    });
    const teamBudget = await createBudget(served.service, {
      name: 'team',
      scope: { team },
      period: 'MONTHLY',
      limit: '1',
      mode: 'BLOCK',
    });
    const featureBudget = await createBudget(served.service, {
      name: 'feature',
      scope: { team, feature },
      period: 'DAILY',
      limit: '0.02',
      mode: 'BLOCK',
    });
    const request = ask('t-penny', { team, feature });
    for (let index = 0; index < 2; index += 1) {
      const answer = await authorize(served.service, request, served.key);
      expect(answer.allow).toBe(true);
      expect(answer.budgets.map((budget) => budget.id)).toEqual([
        org.id,
        teamBudget.id,
        featureBudget.id,
      ]);
    }
    const denied = await authorize(served.service, request, served.key);
    expect(denied).toMatchObject({ allow: false, action: 'DENY', reservation: null });
    expect(denied.reasons).toEqual([
      expect.objectContaining({ code: 'budget_exceeded', budgetId: featureBudget.id }),
    ]);
    for (const id of [org.id, teamBudget.id, featureBudget.id]) {
      expect(await budgetState(served.service, id)).toMatchObject({ reserved: '0.02' });
    }
    // Another feature of the same team still fits: only the feature budget is spent up.
    const sibling = await authorize(
      served.service,
      ask('t-penny', { team, feature: 'other' }),
      served.key,
    );
    expect(sibling.allow).toBe(true);
    expect(await budgetState(served.service, teamBudget.id)).toMatchObject({ reserved: '0.03' });
  });

  it('should leave no partial hold behind when concurrent requests lose at the tightest budget', async () => {
    const team = unique('t');
    const feature = unique('f');
    const teamBudget = await createBudget(served.service, {
      name: 'team (race)',
      scope: { team },
      period: 'TOTAL',
      limit: '10',
      mode: 'BLOCK',
    });
    const featureBudget = await createBudget(served.service, {
      name: 'feature (race)',
      scope: { team, feature },
      period: 'TOTAL',
      limit: '0.05',
      mode: 'BLOCK',
    });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        authorize(served.service, ask('t-penny', { team, feature }), served.key),
      ),
    );
    expect(answers.filter((answer) => answer.allow)).toHaveLength(5);
    expect(await budgetState(served.service, featureBudget.id)).toMatchObject({ reserved: '0.05' });
    // The losers passed the policy with a stale snapshot and then lost at the hold: none of
    // them may have kept a hold on the wider budget.
    expect(await budgetState(served.service, teamBudget.id)).toMatchObject({ reserved: '0.05' });
  });
});
