import { badInput } from '../errors';

/** What a webhook may subscribe to (GraphQL `WebhookEvent`; the `type` of a JSON envelope). */
export const WEBHOOK_EVENTS = [
  'BUDGET_THRESHOLD',
  'ANOMALY',
  'RECONCILIATION_VARIANCE',
  'MONTHLY_REPORT',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** The event `testWebhook` sends; no webhook subscribes to it. */
export const TEST_EVENT = 'TEST';
export type NotificationType = WebhookEvent | typeof TEST_EVENT;

/** The body shapes a webhook is sent (notifications/payloads.ts). */
export const WEBHOOK_FORMATS = ['SLACK', 'JSON'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const MAX_NAME = 200;
export const MAX_URL = 2048;
export const MIN_SECRET = 16;
export const MAX_SECRET = 256;

/** A webhook as given to create (every field required but the secret). */
export interface WebhookFields {
  name: string;
  url: string;
  format: string;
  events: readonly string[];
  secret?: string | null;
}

/** A webhook as given to update: an absent field keeps its value. */
export interface WebhookPatch {
  name?: string | null;
  url?: string | null;
  format?: string | null;
  events?: readonly string[] | null;
  secret?: string | null;
  enabled?: boolean | null;
}

export interface CheckedWebhook {
  name: string;
  url: string;
  format: WebhookFormat;
  events: WebhookEvent[];
  secret: string | null;
}

// Names are for people: printable text, no control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function checkName(value: unknown): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME || CONTROL.test(name)) {
    throw badInput(`name: 1 to ${MAX_NAME} printable characters`, { field: 'name' });
  }
  return name;
}

/**
 * Cloud instance metadata services outside the link-local ranges, as the URL parser leaves
 * them: AWS's IPv6 endpoint (a unique-local address), Alibaba Cloud's, and Google Cloud's names.
 */
const METADATA_HOSTS = new Set([
  'fd00:ec2::254',
  '100.100.100.200',
  'metadata.google.internal',
  'metadata.goog',
]);

/**
 * A literal link-local address as the URL parser leaves it (decimal and mapped forms too), or
 * a known metadata service's address or name.
 */
function isLinkLocal(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  return (
    METADATA_HOSTS.has(host) ||
    /^169\.254\.\d+\.\d+$/.test(host) ||
    /^fe[89ab][0-9a-f]?:/.test(host) ||
    /^::ffff:a9fe:[0-9a-f]{1,4}$/.test(host) ||
    /^::ffff:169\.254\./.test(host)
  );
}

/**
 * An http or https URL with a host, no credentials and no fragment. Private and loopback
 * addresses are allowed (a receiver inside the network is the common case; only admins and
 * finance configure webhooks — SECURITY.md); literal link-local ones (cloud metadata
 * services) are not. A name that resolves to one is not checked.
 */
export function checkUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL) {
    throw badInput(`url: 1 to ${MAX_URL} characters`, { field: 'url' });
  }
  if (/\s/.test(value) || CONTROL.test(value)) {
    throw badInput('url: must not contain spaces or control characters', { field: 'url' });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput('url: not a URL (https://hooks.example.com/purser)', { field: 'url' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw badInput(`url: must be http or https (got ${url.protocol.replace(/:$/, '')})`, {
      field: 'url',
    });
  }
  if (!url.hostname) throw badInput('url: must name a host', { field: 'url' });
  if (url.username || url.password) {
    throw badInput('url: must not carry credentials (user:password@); the body is signed instead', {
      field: 'url',
    });
  }
  if (url.hash) throw badInput('url: must not have a #fragment', { field: 'url' });
  if (isLinkLocal(url.hostname)) {
    throw badInput(
      'url: must not be a link-local address or a cloud metadata service (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200, metadata.google.internal: where clouds serve instance metadata)',
      { field: 'url' },
    );
  }
  return url.toString();
}

export function checkFormat(value: unknown): WebhookFormat {
  if (!WEBHOOK_FORMATS.includes(value as WebhookFormat)) {
    throw badInput(`format: one of ${WEBHOOK_FORMATS.join(', ')}`, { field: 'format' });
  }
  return value as WebhookFormat;
}

export function checkEvents(value: unknown): WebhookEvent[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw badInput(`events: at least one of ${WEBHOOK_EVENTS.join(', ')}`, { field: 'events' });
  }
  const seen = new Set<WebhookEvent>();
  for (const event of value) {
    if (!WEBHOOK_EVENTS.includes(event as WebhookEvent)) {
      throw badInput(
        `events: ${JSON.stringify(String(event)).slice(0, 60)} is not one of ${WEBHOOK_EVENTS.join(', ')}`,
        { field: 'events' },
      );
    }
    if (seen.has(event as WebhookEvent)) {
      throw badInput(`events: ${String(event)} is listed twice`, { field: 'events' });
    }
    seen.add(event as WebhookEvent);
  }
  return [...seen];
}

/** A caller's signing secret: 16 to 256 characters, no spaces or control characters. */
export function checkSecret(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length < MIN_SECRET ||
    value.length > MAX_SECRET ||
    /\s/.test(value) ||
    CONTROL.test(value)
  ) {
    throw badInput(
      `secret: ${MIN_SECRET} to ${MAX_SECRET} characters, no spaces or control characters (leave it out to have one generated)`,
      { field: 'secret' },
    );
  }
  return value;
}

/** Checks a whole webhook; throws BAD_USER_INPUT naming the first field that is wrong. */
export function checkWebhookInput(input: WebhookFields): CheckedWebhook {
  return {
    name: checkName(input.name),
    url: checkUrl(input.url),
    format: checkFormat(input.format),
    events: checkEvents(input.events),
    secret: input.secret === undefined || input.secret === null ? null : checkSecret(input.secret),
  };
}

/**
 * What the API shows of a URL: scheme, host and port only. The path and query stay sealed:
 * a Slack incoming-webhook URL carries its token in the path.
 */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  const rest = parsed.pathname !== '/' || parsed.search ? '/…' : '/';
  return `${parsed.protocol}//${parsed.host}${rest}`;
}
