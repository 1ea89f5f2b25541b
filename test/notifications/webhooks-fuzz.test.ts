// Generated inputs for the webhook GraphQL API against a real instance: every answer is data
// or an error whose message names the field that was wrong — never an internal error — and a
// URL's path (a Slack URL's token) never comes back.
import fc from 'fast-check';
import { startPurser, type RunningPurser } from '../support/purser';

type Answer = { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

const FIELDS = ['name', 'url', 'format', 'events', 'secret', 'enabled', 'id', 'webhookId'];

/** Data, or errors that each name one of the inputs (by field prefix or variable path). */
function expectNamedOrData(answer: Answer): void {
  for (const error of answer.errors ?? []) {
    const code = error.extensions?.code ?? '';
    expect(['BAD_USER_INPUT', 'NOT_FOUND', 'GRAPHQL_VALIDATION_FAILED']).toContain(code);
    const named =
      FIELDS.some((field) => error.message.startsWith(`${field}: `)) ||
      /^Variable "\$\w+" got invalid value .* at "input\.\w+/s.test(error.message) ||
      /^Variable "\$(input|id|first|after)"/.test(error.message) ||
      /^first must be between/.test(error.message) ||
      /^after: /.test(error.message) ||
      code === 'NOT_FOUND';
    if (!named) throw new Error(`an error that names no field: ${JSON.stringify(error)}`);
  }
}

const text = fc.oneof(
  fc.constantFrom('', ' ', 'a\u0000b', 'lone \ud800', 'x'.repeat(3000), '../../etc', '__proto__'),
  fc.string({ maxLength: 60 }),
);
const url = fc.oneof(
  text,
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    'http://user:pw@h.example/',
    'javascript:alert(1)',
    'ftp://x.example/',
    'https://hooks.slack.com/services/T0/B0/secrettokenpath',
    'http://127.0.0.1:9/hook',
  ),
);
const events = fc.oneof(
  fc.array(
    fc.constantFrom('BUDGET_THRESHOLD', 'ANOMALY', 'RECONCILIATION_VARIANCE', 'MONTHLY_REPORT'),
    { maxLength: 5 },
  ),
  fc.array(fc.oneof(text, fc.constantFrom('TEST', 'anomaly')), { maxLength: 3 }),
);
const format = fc.oneof(fc.constantFrom('SLACK', 'JSON'), text);

const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id name url format events } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id url } }`;

describe('webhook inputs (generated)', () => {
  let service: RunningPurser;
  let existing: string;

  beforeAll(async () => {
    service = await startPurser({
      env: { PURSER_SECRET_KEY: 'fuzz-test-secret-of-at-least-32-chars' },
    });
    const created = await service.graphql<{ createWebhook: { webhook: { id: string } } }>(CREATE, {
      input: { name: 'existing', url: 'http://127.0.0.1:9/x', format: 'JSON', events: ['ANOMALY'] },
    });
    existing = created.data!.createWebhook.webhook.id;
  });
  afterAll(() => service?.stop());

  it('should answer generated createWebhook inputs with data or a named error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { name: text, url, format, events, secret: fc.option(text) },
          { requiredKeys: ['name', 'url', 'format', 'events'] },
        ),
        async (input) => {
          const answer = (await service.graphql(CREATE, { input })) as Answer & {
            data?: { createWebhook?: { webhook: { url: string } } };
          };
          expectNamedOrData(answer);
          const shown = answer.data?.createWebhook?.webhook.url;
          if (shown !== undefined) {
            const given = new URL(input.url);
            expect(shown).toBe(
              `${given.protocol}//${given.host}${given.pathname !== '/' || given.search ? '/…' : '/'}`,
            );
          }
          await service.purser.dataSource.query(`DELETE FROM webhooks WHERE id <> $1`, [existing]);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('should refuse the URL, events and name faults it generates, naming them', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://x.example/' }, 'url: must be http or https (got ftp)'],
      [{ url: 'http://user:pw@x.example/' }, 'url: must not carry credentials'],
      [{ events: [] }, 'events: at least one of'],
      [{ events: ['ANOMALY', 'ANOMALY'] }, 'events: ANOMALY is listed twice'],
      [{ name: '   ' }, 'name: 1 to 200 printable characters'],
      [{ name: 'existing' }, 'name: a webhook named "existing" exists'],
      [{ secret: 'short' }, 'secret: 16 to 256 characters'],
    ];
    for (const [change, message] of cases) {
      const answer = await service.graphql(CREATE, {
        input: {
          name: 'n',
          url: 'https://x.example/h',
          format: 'JSON',
          events: ['ANOMALY'],
          ...change,
        },
      });
      expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors?.[0]?.message).toContain(message);
    }
    const badEnum = await service.graphql(CREATE, {
      input: { name: 'n', url: 'https://x.example/h', format: 'JSON', events: ['TEST'] },
    });
    expect(badEnum.errors?.[0]?.message).toMatch(/"TEST".*input\.events/s);
    await service.purser.dataSource.query(`DELETE FROM webhooks WHERE id <> $1`, [existing]);
  });

  it('should answer generated updateWebhook patches and delivery pages with data or a named error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(existing), text, fc.uuid()),
        fc.record(
          { name: text, url, format, events, secret: text, enabled: fc.boolean() },
          { requiredKeys: [] },
        ),
        fc.option(fc.integer({ min: -5, max: 1000 })),
        fc.option(fc.oneof(text, fc.constant('aWQ6MQ'))),
        async (id, input, first, after) => {
          expectNamedOrData(await service.graphql(UPDATE, { id, input }));
          expectNamedOrData(
            await service.graphql(
              `query($id: ID!, $first: Int, $after: String) { webhookDeliveries(webhookId: $id, first: $first, after: $after) { edges { node { id } } } }`,
              { id, first, after },
            ),
          );
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('webhooks without PURSER_SECRET_KEY', () => {
  let service: RunningPurser;
  beforeAll(async () => {
    service = await startPurser();
  });
  afterAll(() => service?.stop());

  it('should refuse to store a webhook, naming the variable it needs', async () => {
    const answer = await service.graphql(CREATE, {
      input: { name: 'n', url: 'https://x.example/h', format: 'JSON', events: ['ANOMALY'] },
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.errors?.[0]?.message).toMatch(/^PURSER_SECRET_KEY is not set/);
  });
});
