import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { abortReason, PurserClientError } from './errors';

/** An answer read whole (bounded), before any JSON parsing. */
export interface HttpAnswer {
  status: number;
  text: string;
  /** `Retry-After` in milliseconds, when the answer carried one in seconds. */
  retryAfterMs?: number;
}

export interface HttpTransportOptions {
  url: string;
  apiKey: string;
  timeoutMs: number;
  /** Largest answer read; a longer one is cut off and is a `BAD_RESPONSE`. */
  maxResponseBytes: number;
}

const unavailable = (message: string, cause?: unknown, status?: number) =>
  new PurserClientError({ code: 'UNAVAILABLE', message, cause, status });

/**
 * JSON over HTTP to one Purser base URL, on kept-alive connections (a fresh TCP connection per
 * call would cost more than the decision itself). Every failure to get an answer — refused
 * connection, reset, timeout — is a `PurserClientError` `UNAVAILABLE`; an answer's status is
 * left to the caller.
 */
export class HttpTransport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly module: typeof http | typeof https;
  private readonly authorization: string;
  /**
   * The request options of each path posted to (the client posts to three), resolved against
   * the base URL once rather than parsed again on every call.
   */
  private readonly targets = new Map<string, { options: http.RequestOptions; pathname: string }>();

  constructor(private readonly options: HttpTransportOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch (cause) {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: `url: not a URL (${JSON.stringify(options.url)})`,
        cause,
      });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: `url: must be http: or https: (got ${base.protocol})`,
      });
    }
    this.base = base;
    this.module = base.protocol === 'https:' ? https : http;
    this.agent = new this.module.Agent({ keepAlive: true, maxSockets: 256 });
    this.authorization = `Bearer ${options.apiKey}`;
  }

  private target(path: string): { options: http.RequestOptions; pathname: string } {
    let target = this.targets.get(path);
    if (!target) {
      const url = new URL(path.replace(/^\//, ''), this.base.href.replace(/\/?$/, '/'));
      target = {
        options: { ...urlToHttpOptions(url), method: 'POST', agent: this.agent },
        pathname: url.pathname,
      };
      this.targets.set(path, target);
    }
    return target;
  }

  /**
   * POSTs `body` as JSON to `path` (relative to the base URL) and reads the answer. With
   * `late`, a request that timed out or was aborted is not cut: it may still take effect on
   * the server (a hold), so its answer, if it comes within `late.withinMs`, goes to
   * `late.answer` instead of being lost.
   */
  post(
    path: string,
    body: unknown,
    signal?: AbortSignal,
    late?: { answer: (answer: HttpAnswer) => void; withinMs: number },
  ): Promise<HttpAnswer> {
    // A string, not a Buffer: Node then writes the head and the body in one piece.
    const payload = JSON.stringify(body);
    const target = this.target(path);
    const { timeoutMs, maxResponseBytes } = this.options;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let lateTimer: NodeJS.Timeout | undefined;
      const finish = (error: Error | null, answer?: HttpAnswer) => {
        if (settled) {
          clearTimeout(lateTimer);
          if (!error && answer && late) late.answer(answer);
          return;
        }
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(answer!);
      };
      /** Gives up on the answer now, or, with `late`, only after `late.withinMs`. */
      const abandon = () => {
        if (!late) return request.destroy();
        lateTimer = setTimeout(() => request.destroy(), late.withinMs);
        lateTimer.unref();
      };
      const request = this.module.request({
        ...target.options,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: this.authorization,
        },
      });
      const timer = setTimeout(() => {
        finish(unavailable(`Purser did not answer within ${timeoutMs} ms (${target.pathname})`));
        abandon();
      }, timeoutMs);
      const onAbort = () => {
        finish(abortReason(signal!));
        abandon();
      };
      if (signal?.aborted) {
        finish(abortReason(signal));
        request.destroy();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (cause) =>
        finish(unavailable(`Purser cannot be reached (${cause.message})`, cause)),
      );
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes) {
            finish(
              new PurserClientError({
                code: 'BAD_RESPONSE',
                status: response.statusCode,
                message: `Purser's answer is larger than ${maxResponseBytes} bytes`,
              }),
            );
            response.destroy();
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (cause) =>
          finish(unavailable(`Purser's answer was cut off (${cause.message})`, cause)),
        );
        response.on('end', () => {
          const retryAfter = Number(response.headers['retry-after']);
          finish(null, {
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ...(Number.isFinite(retryAfter) && retryAfter >= 0
              ? { retryAfterMs: retryAfter * 1000 }
              : {}),
          });
        });
      });
      request.end(payload);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** A short excerpt of an answer for an error message (never the whole body). */
export function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Reads JSON from an answer's text; anything else is a `BAD_RESPONSE`. */
export function answerJson(answer: HttpAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.text) as unknown;
  } catch (cause) {
    throw new PurserClientError({
      code: 'BAD_RESPONSE',
      status: answer.status,
      message: `${what}: the answer is not JSON (${excerpt(answer.text)})`,
      cause,
    });
  }
}

/**
 * The error for an answer that is not a success: 429 and 5xx are `UNAVAILABLE` (retry, fail
 * mode), any other status `REJECTED`, with Purser's own message when it gave one.
 */
export function statusError(answer: HttpAnswer, what: string): PurserClientError {
  let detail = excerpt(answer.text);
  try {
    const body = JSON.parse(answer.text) as unknown;
    if (body && typeof body === 'object') {
      const message = (body as { message?: unknown; error?: { message?: unknown } }).message;
      const nested = (body as { error?: { message?: unknown } }).error?.message;
      const text = typeof message === 'string' ? message : nested;
      if (typeof text === 'string') detail = excerpt(text);
    }
  } catch {
    // not JSON: keep the excerpt
  }
  const retryable = answer.status === 429 || answer.status >= 500;
  return new PurserClientError({
    code: retryable ? 'UNAVAILABLE' : 'REJECTED',
    status: answer.status,
    message: `${what}: Purser answered HTTP ${answer.status}${detail ? ` (${detail})` : ''}`,
  });
}
