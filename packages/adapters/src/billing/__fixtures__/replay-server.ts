/**
 * A local HTTP server (node:http on 127.0.0.1, a random port) that replays provider billing
 * fixtures, for the adapters' tests: each request is recorded and answered by a script.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { BillingAdapterSettings } from '../billing-adapter-settings';

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, exactly as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** How to answer one request. `hang` never answers (a timeout test). */
export interface ReplayResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
}

/** A running replay server. */
export interface ReplayServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts a server answering each request with `respond(request, index)`. */
export async function startReplayServer(
  respond: (request: RecordedRequest, index: number) => ReplayResponse,
): Promise<ReplayServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const url = incoming.url ?? '/';
    const parsed = new URL(url, 'http://127.0.0.1');
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      url,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: incoming.headers,
    };
    requests.push(request);
    const answer = respond(request, requests.length - 1);
    if (answer.hang) return;
    outgoing.writeHead(answer.status ?? 200, {
      'content-type': 'application/json',
      ...answer.headers,
    });
    outgoing.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What an adapter test logs and sleeps, and the replay server it runs against. */
export interface ReplaySuite {
  /** Every `sleep` the adapter asked for, in ms, in order (never waited). */
  readonly sleeps: number[];
  /** Every warning the adapter logged. */
  readonly warnings: { fields: Record<string, unknown>; message: string }[];
  /** Starts this test's server (closed after the test). */
  start(respond: (request: RecordedRequest, index: number) => ReplayResponse): Promise<ReplayServer>;
  /** Closes this test's server now. */
  stop(): Promise<void>;
  /** Adapter settings pointing at this test's server, with `extra` over them. */
  settings(extra?: BillingAdapterSettings): BillingAdapterSettings;
}

/**
 * The set-up of a billing adapter's tests against a replay server, for the `describe` it is
 * called in: adapter settings with `apiKey`, recorded sleeps, a fixed jitter `random` and a
 * logger; after each test the server is closed and the records emptied.
 */
export function replaySuite(options: { apiKey: string; random: number }): ReplaySuite {
  let server: ReplayServer | undefined;
  const sleeps: number[] = [];
  const warnings: ReplaySuite['warnings'] = [];
  const stop = async (): Promise<void> => {
    await server?.close();
    server = undefined;
  };
  afterEach(async () => {
    await stop();
    sleeps.length = 0;
    warnings.length = 0;
  });
  return {
    sleeps,
    warnings,
    async start(respond) {
      server = await startReplayServer(respond);
      return server;
    },
    stop,
    settings: (extra = {}) => ({
      apiKey: options.apiKey,
      baseUrl: server!.url,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => options.random,
      logger: {
        warn: (fields: Record<string, unknown>, message: string) => {
          warnings.push({ fields, message });
        },
      },
      ...extra,
    }),
  };
}

/** A JSON 200 answer. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): ReplayResponse {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/**
 * A paginated endpoint's script: page 1 (a fixture's text as is) without `page`, `page2`
 * (built) for `token`, and `error` with a 400 for any other token.
 */
export function twoPages(
  page1: string,
  page2: unknown,
  token: string,
  error: unknown,
): (request: { query: URLSearchParams }) => ReplayResponse {
  return (request) => {
    const page = request.query.get('page');
    if (page === null) return { body: page1 };
    if (page === token) return json(page2);
    return json(error, 400);
  };
}
