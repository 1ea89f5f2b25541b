import { setTimeout as delay } from 'node:timers/promises';

import { AdapterError } from '../errors';
import type { BillingAdapterSettings, BillingLogger } from './billing-adapter-settings';
import { BillingHttpError } from './billing-http-error';

/** Defaults of the HTTP settings of {@link BillingAdapterSettings}. */
export const BILLING_HTTP_DEFAULTS = {
  timeoutMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 500,
  maxDelayMs: 60_000,
  maxResponseBytes: 32 * 1024 * 1024,
} as const;

/** What a provider file tells the HTTP client about its API. */
export interface BillingHttpProvider {
  /** Registry id, named in errors and logs (`openai`). */
  readonly id: string;
  /** Display name used in messages (`OpenAI`). */
  readonly name: string;
  /** Public API base URL with its version prefix (`https://api.openai.com/v1`). */
  readonly defaultBaseUrl: string;
  /** The version prefix the paths hang from (`/v1`). */
  readonly versionPrefix: string;
  /** Request headers, the credentials among them. */
  headers(apiKey: string): Record<string, string>;
  /** What to check when the key is refused (which key, which scope). */
  readonly authHint: string;
}

/** A query parameter; a key ending in `[]` may repeat (`group_by[]`). */
export type QueryParameter = readonly [key: string, value: string];

/**
 * `baseUrl` given with or without the version prefix, normalized to end with it and without
 * a trailing slash: `https://api.openai.com` and `https://api.openai.com/v1/` both give
 * `https://api.openai.com/v1`. Throws `INVALID_BILLING_SETTINGS` on a URL that is not
 * http(s) or carries credentials, a query or a fragment.
 */
export function resolveBillingBaseUrl(
  baseUrl: string | undefined,
  provider: Pick<BillingHttpProvider, 'id' | 'defaultBaseUrl' | 'versionPrefix'>,
): string {
  const given = baseUrl?.trim() || provider.defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new AdapterError({
      code: 'INVALID_BILLING_SETTINGS',
      message: `${provider.id} billing: baseUrl is not a URL (got ${JSON.stringify(given.slice(0, 200))})`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AdapterError({
      code: 'INVALID_BILLING_SETTINGS',
      message: `${provider.id} billing: baseUrl must be http or https (got ${url.protocol})`,
    });
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new AdapterError({
      code: 'INVALID_BILLING_SETTINGS',
      message: `${provider.id} billing: baseUrl must not carry credentials, a query or a fragment`,
    });
  }
  const path = url.pathname.replace(/\/+$/, '');
  const prefixed = path.endsWith(provider.versionPrefix)
    ? path
    : `${path}${provider.versionPrefix}`;
  return `${url.origin}${prefixed}`;
}

/**
 * Seconds (`"2"`, `"1.5"`) or an HTTP date of a `retry-after` header, as milliseconds from
 * `now`; undefined when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // An HTTP date names its weekday and month; anything else ("-1", "soon") is unreadable.
  if (text.length > 64 || !/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} /.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Every occurrence of `secret` in `text` replaced; text unchanged when there is no secret. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

/** A copy of an error as a plain `Error` with its message (and its cause's) redacted. */
function sanitizedCause(error: unknown, secret: string | undefined): Error {
  const message = error instanceof Error ? error.message : String(error);
  const inner = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const innerText =
    inner instanceof Error
      ? `: ${inner.message}`
      : inner !== undefined && typeof inner !== 'object'
        ? `: ${String(inner)}`
        : '';
  const copy = new Error(redactSecret(`${message}${innerText}`, secret));
  copy.name = error instanceof Error ? error.name : 'Error';
  return copy;
}

class TimeoutSignal extends Error {}

/** Reads a body up to `limit` bytes, as strict UTF-8. */
async function readBody(
  response: Response,
  limit: number,
  provider: BillingHttpProvider,
  path: string,
  attempts: number,
): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  const tooLarge = (): BillingHttpError =>
    new BillingHttpError({
      code: 'INVALID_BILLING_RESPONSE',
      provider: provider.id,
      status: response.status,
      attempts,
      message: `${provider.name} billing API answered more than ${limit} bytes on GET ${path}`,
    });
  if (Number.isFinite(length) && length > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BillingHttpError({
      code: 'INVALID_BILLING_RESPONSE',
      provider: provider.id,
      status: response.status,
      attempts,
      message: `${provider.name} billing API answered a body that is not UTF-8 on GET ${path}`,
    });
  }
}

/** Most bytes of an error body read to find the provider's error code. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** The start of an error answer's body (the rest is discarded unread), as text. */
async function readErrorBody(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_BODY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    await reader.cancel().catch(() => undefined);
  } catch {
    // an error body that cannot be read names nothing
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8');
}

/** The `error.type` / `error.code` of a provider's JSON error body, when it is a short id. */
function errorIdentifier(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {
      error?: { type?: unknown; code?: unknown };
    };
    for (const value of [parsed.error?.code, parsed.error?.type]) {
      if (typeof value === 'string' && /^[a-z][a-z0-9_.]{0,63}$/.test(value)) return value;
    }
  } catch {
    // not JSON: nothing to name
  }
  return undefined;
}

/**
 * GETs provider billing endpoints: a timeout per attempt, bounded retries with exponential
 * backoff and jitter on 429, 5xx, timeouts and network failures (honouring `retry-after`),
 * and errors that name the provider and the status but never hold the API key.
 */
export class BillingHttpClient {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly maxDelayMs: number;
  private readonly maxResponseBytes: number;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: BillingLogger | undefined;

  constructor(
    private readonly provider: BillingHttpProvider,
    settings: BillingAdapterSettings,
  ) {
    this.baseUrl = resolveBillingBaseUrl(settings.baseUrl, provider);
    this.apiKey = settings.apiKey ?? '';
    this.timeoutMs = positive(settings.timeoutMs, BILLING_HTTP_DEFAULTS.timeoutMs);
    this.maxAttempts = Math.max(
      1,
      Math.floor(positive(settings.maxAttempts, BILLING_HTTP_DEFAULTS.maxAttempts)),
    );
    this.backoffBaseMs = positive(settings.backoffBaseMs, BILLING_HTTP_DEFAULTS.backoffBaseMs);
    this.maxDelayMs = positive(settings.maxDelayMs, BILLING_HTTP_DEFAULTS.maxDelayMs);
    this.maxResponseBytes = positive(
      settings.maxResponseBytes,
      BILLING_HTTP_DEFAULTS.maxResponseBytes,
    );
    this.fetchImpl = settings.fetch ?? globalThis.fetch;
    this.sleep = settings.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.now = settings.now ?? Date.now;
    this.random = settings.random ?? Math.random;
    this.logger = settings.logger;
  }

  /** Delay before attempt `attempt + 1`: exponential, capped, the upper half jittered. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** GETs `path` (below the base URL) and answers the body text of a 2xx. */
  async get(path: string, query: readonly QueryParameter[], signal?: AbortSignal): Promise<string> {
    if (this.apiKey === '') {
      throw new AdapterError({
        code: 'INVALID_BILLING_SETTINGS',
        message: `${this.provider.id} billing: an API key is required`,
      });
    }
    const search = query
      .map(
        ([key, value]) =>
          `${encodeURIComponent(key).replace(/%5B%5D$/, '[]')}=${encodeURIComponent(value)}`,
      )
      .join('&');
    const url = `${this.baseUrl}${path}${search === '' ? '' : `?${search}`}`;
    const shownPath = `${new URL(this.baseUrl).pathname}${path}`;
    const name = this.provider.name;
    for (let attempt = 1; ; attempt += 1) {
      const last = attempt >= this.maxAttempts;
      if (signal?.aborted) throw this.cancelled(shownPath, attempt - 1, signal.reason);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new TimeoutSignal()), this.timeoutMs);
      const combined =
        signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
      let failure: { status?: number; reason: string; retryAfterMs?: number; cause?: unknown };
      try {
        const response = await this.fetchImpl(url, {
          method: 'GET',
          headers: { accept: 'application/json', ...this.provider.headers(this.apiKey) },
          signal: combined,
          // A redirect is not followed: it would carry the key's header to wherever it points.
          redirect: 'manual',
        });
        if (response.ok) {
          return await readBody(response, this.maxResponseBytes, this.provider, shownPath, attempt);
        }
        const status = response.status;
        const body = await readErrorBody(response);
        const identifier = redactSecret(errorIdentifier(body) ?? '', this.apiKey) || undefined;
        const said = identifier === undefined ? '' : ` (${identifier})`;
        if (status === 401 || status === 403) {
          throw new BillingHttpError({
            code: 'BILLING_AUTH_FAILED',
            provider: this.provider.id,
            status,
            attempts: attempt,
            message:
              `${name} billing API refused the API key: HTTP ${status}${said} on GET ${shownPath}. ` +
              this.provider.authHint,
          });
        }
        if (status !== 429 && status < 500) {
          throw new BillingHttpError({
            code: 'BILLING_REQUEST_REJECTED',
            provider: this.provider.id,
            status,
            attempts: attempt,
            message:
              `${name} billing API rejected the request: HTTP ${status}${said} on GET ${shownPath}` +
              (status >= 300 && status < 400
                ? ' (a redirect: set baseUrl to where it points)'
                : ''),
          });
        }
        failure = {
          status,
          reason: `HTTP ${status}${said}`,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now()),
        };
      } catch (error) {
        if (error instanceof BillingHttpError) throw error;
        if (signal?.aborted) throw this.cancelled(shownPath, attempt, signal.reason);
        const timedOut = timeout.signal.aborted;
        failure = {
          reason: timedOut ? `no answer within ${this.timeoutMs} ms` : 'network failure',
          cause: timedOut ? undefined : sanitizedCause(error, this.apiKey),
        };
      } finally {
        clearTimeout(timer);
      }
      const wait = failure.retryAfterMs ?? this.backoffMs(attempt);
      if (last || wait > this.maxDelayMs) {
        const why = last
          ? `after ${attempt} attempt${attempt === 1 ? '' : 's'}`
          : `asked to retry after ${wait} ms, more than the ${this.maxDelayMs} ms allowed`;
        throw new BillingHttpError({
          code: 'UPSTREAM_UNAVAILABLE',
          provider: this.provider.id,
          status: failure.status,
          attempts: attempt,
          cause: failure.cause,
          details: failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs },
          message: `${name} billing API unavailable: ${failure.reason} on GET ${shownPath} ${why}`,
        });
      }
      this.logger?.warn(
        {
          provider: this.provider.id,
          path: shownPath,
          status: failure.status ?? null,
          reason: failure.reason,
          attempt,
          delayMs: wait,
        },
        'billing request failed, retrying',
      );
      try {
        await this.sleep(wait, signal);
      } catch {
        throw this.cancelled(shownPath, attempt, signal?.reason);
      }
    }
  }

  private cancelled(path: string, attempts: number, reason: unknown): BillingHttpError {
    return new BillingHttpError({
      code: 'UPSTREAM_UNAVAILABLE',
      provider: this.provider.id,
      attempts,
      isRetryable: false,
      cause: reason === undefined ? undefined : sanitizedCause(reason, this.apiKey),
      message: `${this.provider.name} billing request cancelled on GET ${path}`,
    });
  }
}

/** `value` when a positive finite number, else `fallback`; at most a timer's 2^31 − 1 ms. */
function positive(value: number | undefined, fallback: number): number {
  const chosen = value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  return Math.min(chosen, 2_147_483_647);
}
