import type { NotificationType, WebhookFormat } from './webhook-input';

/** One event as the outbox stores it; the JSON format sends exactly this. */
export interface NotificationEnvelope {
  id: string;
  type: NotificationType;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The longest text a Slack section block takes. */
const SLACK_SECTION_MAX = 3000;

/** Slack mrkdwn's three control characters, escaped as Slack asks. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const str = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined || value === null ? '?' : String(value);

function pairs(value: unknown): string {
  if (!value || typeof value !== 'object') return 'everything';
  // Sorted: the outbox stores data as jsonb, which keeps no key order.
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return entries.length === 0
    ? 'everything'
    : entries.map(([key, item]) => `${key}=${str(item)}`).join(', ');
}

function percent(fraction: unknown): string {
  return typeof fraction === 'number' ? `${Math.round(fraction * 10_000) / 100}%` : '?%';
}

/** A title (plain text) and a detail line (plain text, escaped later) for an event. */
function describe(event: NotificationEnvelope): { title: string; detail: string; link?: string } {
  const data = event.data;
  switch (event.type) {
    case 'BUDGET_THRESHOLD': {
      const window = (data.window ?? {}) as Record<string, unknown>;
      const name = str(data.budget_name ?? data.budget_id);
      return {
        title:
          data.kind === 'limit_reached'
            ? `Budget "${name}" reached its limit`
            : `Budget "${name}" crossed ${percent(data.threshold)} of its limit`,
        detail: `Spent ${str(data.spent)} of ${str(data.limit)} ${str(data.currency)} (reserved ${str(data.reserved ?? '0')}) in the ${str(window.period)} window from ${str(window.starts_at)}; scope: ${pairs(data.scope)}; mode: ${str(data.mode)}.`,
      };
    }
    case 'ANOMALY': {
      const unit = typeof data.currency === 'string' ? ` ${data.currency}` : '';
      return {
        title: `Unusual spend: ${pairs(data.dimensions)}`,
        detail: `Observed ${str(data.observed)}${unit} against ${str(data.expected)}${unit} expected (score ${str(data.score)}).`,
      };
    }
    case 'RECONCILIATION_VARIANCE':
      return {
        title: `${str(data.provider)} bill for ${str(data.day)} differs from Purser's estimate (${str(data.status)})`,
        detail: `Estimated ${str(data.estimated)}, billed ${str(data.billed)} ${str(data.currency)}: delta ${str(data.delta)}${data.delta_percent !== undefined ? ` (${str(data.delta_percent)}%)` : ''}, tolerance ${str(data.tolerance_percent)}%.`,
      };
    case 'MONTHLY_REPORT':
      return {
        title: `Monthly AI spend report for ${str(data.month)}`,
        detail: `Total spend ${str(data.total)} ${str(data.currency)}${data.previous_total !== undefined ? ` (previous month ${str(data.previous_total)})` : ''}.`,
        link: typeof data.url === 'string' && /^https?:\/\//.test(data.url) ? data.url : undefined,
      };
    case 'TEST':
      return {
        title: `Test delivery from Purser`,
        detail: `Webhook "${str(data.webhook_name)}" receives this event type when it is sent; nothing happened.`,
      };
  }
}

/**
 * The section's mrkdwn within Slack's limit: the text is cut before it is escaped and before
 * the link is added, so no entity (`&amp;`) or link is split; shorter until it fits.
 */
function slackSection(title: string, detail: string, linkText: string): string {
  const whole = `${title}\u0000${detail}`;
  for (let cut = whole.length; ; cut = Math.floor(cut * 0.8)) {
    const plain = cut < whole.length ? `${whole.slice(0, cut)}…` : whole;
    const split = plain.indexOf('\u0000');
    const head = split < 0 ? plain : plain.slice(0, split);
    const body = split < 0 ? '' : plain.slice(split + 1);
    const text = `*${slackEscape(head)}*\n${slackEscape(body)}${linkText}`;
    if (text.length <= SLACK_SECTION_MAX || cut === 0) return text;
  }
}

/**
 * A Slack incoming-webhook message: `text` (the notification's fallback) and blocks — a
 * section with the title and detail, the report link when there is one, and a context line
 * naming the event type and id. User-given text (budget names, scopes) is escaped.
 */
export function slackBody(event: NotificationEnvelope): Record<string, unknown> {
  const { title, detail, link } = describe(event);
  const linkText = link ? `\n<${slackEscape(link)}|Open the report>` : '';
  const section = slackSection(title, detail, linkText);
  return {
    // Escaped too: Slack reads `<!channel>` in the fallback text that notifications show.
    text: slackEscape(`${title}. ${detail}`),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: section,
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: slackEscape(`Purser · ${event.type} · ${event.id}`) }],
      },
    ],
  };
}

/** The body a webhook of `format` is sent for `event` (the same bytes on every attempt). */
export function renderBody(format: WebhookFormat, event: NotificationEnvelope): string {
  return JSON.stringify(format === 'SLACK' ? slackBody(event) : event);
}
