// The gateway plugins' policy calls against a running instance, in each plugin's exact
// request and answer shape: Kong's OPA plugin (input.request.http with parsed_body; result
// {allow, status, headers, message}), APISIX's opa plugin (input.request without a body;
// result {allow, reason, headers, status_code}) and Envoy's HTTP ext_authz (the original
// request under the path_prefix; 200 with headers, or 403/429 with a JSON body): allow,
// downgrade, deny, a missing key, and the key never reaching a log.
import { createBudget, priceModel, unique } from '../support/decisions';
import { servePurser } from '../support/purser';

/** A plugin's answer: `result` (Kong, APISIX) or Envoy's refusal body. */
interface GatewayAnswer {
  result: Record<string, unknown> & { headers: Record<string, string> };
  code?: string;
  message: string;
}

/** $10 per 1M tokens both ways for the big model, $1 for the small one. */
const BIG = 'gw-big';
const SMALL = 'gw-small';

describe('gateway plugins', () => {
  const served = servePurser('gateway', {
    prepare: async (service) => {
      await priceModel(service, BIG, { inputTokens: '10', outputTokens: '10' });
      await priceModel(service, SMALL, { inputTokens: '1', outputTokens: '1' });
      await priceModel(service, BIG, { inputTokens: '10', outputTokens: '10' }, 'anthropic');
    },
  });
  const teams = { free: unique('free'), downgrade: unique('down'), blocked: unique('block') };
  let logged: string[] = [];
  let spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    await createBudget(served.service, {
      name: 'gw downgrade',
      scope: { team: teams.downgrade },
      period: 'TOTAL',
      limit: '0.01',
      mode: 'DOWNGRADE',
      downgradeChain: [BIG, SMALL],
    });
    await createBudget(served.service, {
      name: 'gw block',
      scope: { team: teams.blocked },
      period: 'TOTAL',
      limit: '0.001',
      mode: 'BLOCK',
    });
  });
  beforeEach(() => {
    logged = [];
    const logger = served.service.purser.services.logger;
    spies = (['error', 'warn', 'info', 'debug'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
        logged.push(JSON.stringify(args));
      }) as never),
    );
  });
  afterEach(() => {
    for (const spy of spies) spy.mockRestore();
    // The key travels among the forwarded headers: it is never written anywhere.
    expect(logged.join('\n')).not.toContain(served.key);
  });

  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${served.service.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : (JSON.parse(text) as GatewayAnswer),
    };
  };

  /** A chat completion of 1,000 input tokens (4,000 characters) capped at 1,000 output tokens. */
  const chat = (model: string) => ({
    model,
    max_tokens: 1000,
    messages: [{ role: 'user', content: 'x'.repeat(4000) }],
  });

  describe('Kong OPA plugin: POST /v1/gateways/kong', () => {
    const kongInput = (team: string, body: unknown, key: string | null = served.key) => ({
      input: {
        request: {
          http: {
            host: 'api.example.com',
            port: 443,
            tls: { version: 'TLSv1.3' },
            method: 'POST',
            scheme: 'https',
            path: '/openai/v1/chat/completions',
            querystring: {},
            headers: {
              'content-type': 'application/json',
              authorization: 'Bearer sk-provider-key',
              'x-purser-team': team,
              'x-purser-feature': ['chat', 'ignored-second-value'],
              ...(key ? { 'x-purser-key': key } : {}),
            },
            parsed_body: body,
          },
        },
        client_ip: '203.0.113.9',
      },
    });

    it('should allow with the decision id and the cap as headers', async () => {
      const answer = await call('/v1/gateways/kong', kongInput(teams.free, chat(BIG)));
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        result: {
          allow: true,
          headers: {
            'x-purser-decision-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
            'x-purser-max-tokens': '1000',
          },
        },
      });
      // The decision is recorded (written behind) with the headers' attribution, not the key.
      const decisionId = answer.body!.result.headers['x-purser-decision-id'];
      let rows: Record<string, unknown>[] = [];
      for (let tries = 0; tries < 50 && rows.length === 0; tries += 1) {
        rows = await served.service.purser.dataSource.query(
          'SELECT path, requested_model, attribution, request FROM decisions WHERE id = $1',
          [decisionId],
        );
        if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(rows[0]).toMatchObject({
        requested_model: BIG,
        attribution: expect.objectContaining({
          team: teams.free,
          feature: 'chat',
          request_path: '/openai/v1/chat/completions',
        }),
      });
      expect(JSON.stringify(rows[0])).not.toContain(served.key);
    });

    it('should downgrade through the X-Purser-Model header', async () => {
      const answer = await call('/v1/gateways/kong', kongInput(teams.downgrade, chat(BIG)));
      expect(answer.body?.result).toMatchObject({
        allow: true,
        headers: { 'x-purser-model': SMALL, 'x-purser-max-tokens': '1000' },
      });
    });

    it('should deny over a blocking budget with a status and a message', async () => {
      const answer = await call('/v1/gateways/kong', kongInput(teams.blocked, chat(BIG)));
      expect(answer.status).toBe(200);
      expect(answer.body?.result).toMatchObject({
        allow: false,
        status: 403,
        message: expect.stringMatching(/budget/i),
        headers: { 'x-purser-decision-id': expect.any(String) },
      });
    });

    it('should refuse a call without a key (401) and a body it cannot price (400)', async () => {
      const anonymous = await call('/v1/gateways/kong', kongInput(teams.free, chat(BIG), null));
      expect(anonymous.body).toEqual({
        result: { allow: false, status: 401, message: expect.stringContaining('x-purser-key') },
      });
      const noModel = await call('/v1/gateways/kong', kongInput(teams.free, { messages: [] }));
      expect(noModel.body?.result).toMatchObject({
        allow: false,
        status: 400,
        message: expect.stringContaining('X-Purser-Model'),
      });
      const notKong = await call('/v1/gateways/kong', { input: { hello: 1 } });
      expect(notKong.body?.result).toMatchObject({ allow: false, status: 400 });
    });

    it('should answer a body that is not JSON in the plugins shape, never quoting the key', async () => {
      for (const [path, result] of [
        ['/v1/gateways/kong', { allow: false, status: 400, message: expect.any(String) }],
        ['/v1/gateways/apisix', { allow: false, status_code: 400, reason: expect.any(String) }],
      ] as const) {
        // The key unquoted: the JSON parser's message quotes the text around the error.
        const response = await fetch(`${served.service.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"input":{"request":{"http":{"headers":{"x-purser-key":${served.key}}}}}}`,
        });
        const text = await response.text();
        expect(response.status).toBe(200);
        expect(JSON.parse(text)).toEqual({ result: result });
        expect(text).not.toContain(served.key.slice(0, 10));
      }
    });
  });

  describe('APISIX opa plugin: POST /v1/gateways/apisix', () => {
    const apisixInput = (team: string, headers: Record<string, string>) => ({
      input: {
        type: 'http',
        request: {
          scheme: 'http',
          path: '/openai/v1/chat/completions',
          headers: { 'x-purser-key': served.key, 'x-purser-team': team, ...headers },
          query: {},
          port: 9080,
          method: 'POST',
          host: '127.0.0.1',
        },
        var: { server_port: '9080', timestamp: 1796000000 },
      },
    });
    const capped = {
      'x-purser-model': BIG,
      'x-purser-max-tokens': '1000',
      'x-purser-input-tokens': '1000',
    };

    it('should allow, downgrade and deny from the X-Purser-* headers alone', async () => {
      // APISIX posts to {host}/v1/data/{policy}: the host carries /v1/gateways/apisix.
      const allowed = await call(
        '/v1/gateways/apisix/v1/data/purser',
        apisixInput(teams.free, capped),
      );
      expect(allowed.body).toEqual({
        result: {
          allow: true,
          headers: { 'x-purser-decision-id': expect.any(String), 'x-purser-max-tokens': '1000' },
        },
      });
      const downgraded = await call('/v1/gateways/apisix', apisixInput(teams.downgrade, capped));
      expect(downgraded.body?.result.headers['x-purser-model']).toBe(SMALL);
      const denied = await call('/v1/gateways/apisix', apisixInput(teams.blocked, capped));
      expect(denied.body?.result).toMatchObject({
        allow: false,
        status_code: 403,
        reason: expect.stringMatching(/budget/i),
      });
    });

    it('should name a cap that is not a number and a missing model', async () => {
      const bad = await call(
        '/v1/gateways/apisix',
        apisixInput(teams.free, { ...capped, 'x-purser-max-tokens': 'lots' }),
      );
      expect(bad.body?.result).toMatchObject({
        allow: false,
        status_code: 400,
        reason: expect.stringContaining('X-Purser-Max-Tokens'),
      });
      const noModel = await call('/v1/gateways/apisix', apisixInput(teams.free, {}));
      expect(noModel.body?.result).toMatchObject({ allow: false, status_code: 400 });
    });
  });

  describe('Envoy HTTP ext_authz: /v1/gateways/envoy as path_prefix', () => {
    const envoy = (team: string, path: string, body: unknown, key: string | null = served.key) =>
      call(`/v1/gateways/envoy${path}`, body, {
        authorization: 'Bearer sk-ant-provider-key',
        'x-purser-team': team,
        ...(key ? { 'x-purser-key': key } : {}),
      });
    const anthropic = (model: string) => ({
      model,
      max_tokens: 1000,
      system: 'x'.repeat(2000),
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(2000) }] }],
    });

    it('should answer 200 with the headers to add upstream, and remove the key', async () => {
      const answer = await envoy(teams.free, '/v1/messages', anthropic(BIG));
      expect(answer.status).toBe(200);
      expect(answer.body).toBeUndefined();
      expect(answer.headers.get('x-purser-decision-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers.get('x-purser-max-tokens')).toBe('1000');
      expect(answer.headers.get('x-purser-model')).toBeNull();
      expect(answer.headers.get('x-envoy-auth-headers-to-remove')).toBe('x-purser-key');
    });

    it('should downgrade with X-Purser-Model and deny with 403 and a JSON body', async () => {
      const downgraded = await envoy(teams.downgrade, '/v1/chat/completions', chat(BIG));
      expect(downgraded.status).toBe(200);
      expect(downgraded.headers.get('x-purser-model')).toBe(SMALL);
      const denied = await envoy(teams.blocked, '/v1/chat/completions', chat(BIG));
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({
        code: expect.any(String),
        message: expect.stringMatching(/budget/i),
        decision_id: expect.any(String),
      });
    });

    it('should refuse without a key (401), never reading the client Authorization as one', async () => {
      const anonymous = await envoy(teams.free, '/v1/chat/completions', chat(BIG), null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ code: 'UNAUTHENTICATED' });
      const unknownPath = await envoy(teams.free, '/v1/other', chat(BIG));
      expect(unknownPath.status).toBe(400);
      expect(unknownPath.body?.message).toContain('X-Purser-Provider');
    });
  });

  describe('failed keys through a gateway', () => {
    const limited = servePurser('gateway', {
      start: {
        env: { PURSER_AUTH_FAILURE_BURST: '3', PURSER_AUTH_FAILURES_PER_SECOND: '0.01' },
      },
    });
    it('should limit the client guessing keys, not every client of the gateway', async () => {
      // `call` goes to the first service; these go to this one.
      const send = async (key: string, clientIp: string) => {
        const response = await fetch(`${limited.service.url}/v1/gateways/kong`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            input: {
              request: {
                http: {
                  path: '/v1/chat/completions',
                  headers: { 'x-purser-key': key, 'x-purser-model': 'gpt-4o-mini' },
                },
              },
              client_ip: clientIp,
            },
          }),
        });
        return ((await response.json()) as GatewayAnswer).result;
      };
      const statuses: unknown[] = [];
      for (let attempt = 0; attempt < 6; attempt += 1) {
        statuses.push((await send(`purser_wrong_${attempt}`, '198.51.100.7')).status);
      }
      expect(statuses.slice(-1)).toEqual([429]);
      const fresh = await limited.service.keyFor('gateway');
      expect(await send(fresh, '198.51.100.8')).toMatchObject({ allow: true });
      // Another client's wrong key is still looked up and answered as unknown, not 429.
      expect(await send('purser_wrong_other', '198.51.100.9')).toMatchObject({ status: 401 });
    });
  });

  describe('failed keys naming a new client each time', () => {
    // Each client 3 failures, the socket all clients together 6.
    const direct = servePurser('gateway', {
      start: {
        env: {
          PURSER_AUTH_FAILURE_BURST: '3',
          PURSER_AUTH_FAILURES_PER_SECOND: '0.01',
          PURSER_AUTH_GATEWAY_FAILURE_BURST: '6',
        },
      },
    });
    /** A wrong key through each plugin's route in turn, each naming client 203.0.113.<n>. */
    const guess = async (attempt: number): Promise<unknown> => {
      const client = `203.0.113.${attempt}`;
      const key = `purser_guess_${attempt}`;
      const headers = { 'x-purser-key': key, 'x-purser-model': 'gpt-4o-mini' };
      const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
        fetch(`${direct.service.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...extra },
          body: JSON.stringify(body),
        });
      switch (attempt % 3) {
        case 0: {
          const input = { request: { http: { path: '/v1/chat/completions', headers } } };
          const response = await post('/v1/gateways/kong', {
            input: { ...input, client_ip: client },
          });
          return ((await response.json()) as GatewayAnswer).result.status;
        }
        case 1: {
          const input = { request: { path: '/v1/chat/completions', headers } };
          const body = { input: { ...input, var: { remote_addr: client } } };
          const response = await post('/v1/gateways/apisix', body);
          return ((await response.json()) as GatewayAnswer).result.status_code;
        }
        default: {
          const response = await post(
            '/v1/gateways/envoy/v1/chat/completions',
            {},
            {
              ...headers,
              'x-forwarded-for': `${client}, 10.0.0.1`,
            },
          );
          return response.status;
        }
      }
    };

    it("should refuse 429 past the socket's burst, whatever client each call names", async () => {
      const statuses: unknown[] = [];
      for (let attempt = 0; attempt < 9; attempt += 1) statuses.push(await guess(attempt));
      // Each named client failed once only: the socket's own bucket refused the last three.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429, 429, 429]);
      // A key nobody used before is not even looked up from that socket now.
      const fresh = await direct.service.keyFor('gateway');
      const response = await fetch(`${direct.service.url}/v1/gateways/kong`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          input: {
            request: { http: { path: '/v1/chat/completions', headers: { 'x-purser-key': fresh } } },
            client_ip: '198.51.100.200',
          },
        }),
      });
      expect(((await response.json()) as GatewayAnswer).result).toMatchObject({
        allow: false,
        status: 429,
        message: expect.stringMatching(/retry in \d+ s/),
      });
    });
  });
});
