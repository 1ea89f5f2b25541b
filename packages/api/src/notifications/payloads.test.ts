import { renderBody, slackBody, slackEscape, type NotificationEnvelope } from './payloads';

const budget: NotificationEnvelope = {
  id: 'b1:2026-11-10T00:00:00.000Z:0.8',
  type: 'BUDGET_THRESHOLD',
  occurredAt: '2026-11-10T09:00:00.000Z',
  data: {
    budget_name: 'search <team> & co',
    threshold: 0.8,
    kind: 'soft_threshold',
    window: { period: 'monthly', starts_at: '2026-11-01T00:00:00.000Z' },
    spent: '412.50',
    reserved: '0',
    limit: '500',
    currency: 'USD',
    scope: { team: 'search' },
    mode: 'block',
  },
};

describe('notification payloads', () => {
  it('should send the JSON format as the envelope itself', () => {
    expect(JSON.parse(renderBody('JSON', budget))).toEqual(budget);
  });

  it('should send Slack a text and blocks, escaping what people typed', () => {
    const body = slackBody(budget);
    expect(body.text).toBe(
      'Budget "search &lt;team&gt; &amp; co" crossed 80% of its limit. Spent 412.50 of 500 USD (reserved 0) in the monthly window from 2026-11-01T00:00:00.000Z; scope: team=search; mode: block.',
    );
    const [section, context] = body.blocks as { type: string; text?: { text: string } }[];
    expect(section).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '*Budget "search &lt;team&gt; &amp; co" crossed 80% of its limit*\nSpent 412.50 of 500 USD (reserved 0) in the monthly window from 2026-11-01T00:00:00.000Z; scope: team=search; mode: block.',
      },
    });
    expect(context).toMatchObject({ type: 'context' });
    expect(JSON.stringify(context)).toContain('BUDGET_THRESHOLD');
  });

  it('should describe each event type', () => {
    const text = (type: NotificationEnvelope['type'], data: Record<string, unknown>) =>
      slackBody({ id: 'x', type, occurredAt: '2026-11-10T00:00:00Z', data }).text;
    expect(text('BUDGET_THRESHOLD', { budget_name: 'b', kind: 'limit_reached' })).toMatch(
      /^Budget "b" reached its limit/,
    );
    expect(
      text('ANOMALY', {
        dimensions: { feature: 'chat', hour: '2026-11-20T14:00:00Z' },
        expected: '1.5',
        observed: '9.25',
        score: 7.1,
        currency: 'USD',
      }),
    ).toBe(
      'Unusual spend: feature=chat, hour=2026-11-20T14:00:00Z. Observed 9.25 USD against 1.5 USD expected (score 7.1).',
    );
    expect(
      text('RECONCILIATION_VARIANCE', {
        provider: 'openai',
        day: '2026-12-01',
        status: 'UNDER',
        estimated: '10',
        billed: '12',
        delta: '-2',
        delta_percent: '-16.666667',
        tolerance_percent: '1',
        currency: 'USD',
      }),
    ).toBe(
      "openai bill for 2026-12-01 differs from Purser's estimate (UNDER). Estimated 10, billed 12 USD: delta -2 (-16.666667%), tolerance 1%.",
    );
    const report = slackBody({
      id: 'monthly-report:2026-11',
      type: 'MONTHLY_REPORT',
      occurredAt: '2026-12-01T06:00:00Z',
      data: {
        month: '2026-11',
        total: '1234.5',
        currency: 'USD',
        url: 'https://p.example/r?m=1&f=pdf',
      },
    });
    expect(report.text).toBe('Monthly AI spend report for 2026-11. Total spend 1234.5 USD.');
    expect(JSON.stringify(report.blocks)).toContain(
      '<https://p.example/r?m=1&amp;f=pdf|Open the report>',
    );
  });

  it("should keep the section within Slack's limit without splitting an entity or the link", () => {
    const body = slackBody({
      id: 'monthly-report:2026-11',
      type: 'MONTHLY_REPORT',
      occurredAt: '2026-12-01T06:00:00Z',
      data: { month: '&'.repeat(5000), total: '1', currency: 'USD', url: 'https://p.example/r' },
    });
    const [section] = body.blocks as { text: { text: string } }[];
    const text = section!.text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.endsWith('\n<https://p.example/r|Open the report>')).toBe(true);
    // Only whole entities: every & starts one.
    expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    expect(text).toContain('…');
    expect(body.text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });

  it('should escape the three characters Slack reserves', () => {
    expect(slackEscape('<@U1> & <!channel>')).toBe('&lt;@U1&gt; &amp; &lt;!channel&gt;');
  });
});
