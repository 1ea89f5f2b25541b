import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PurserClient, type PurserClientOptions } from '@purser/adapters/client';

/** One request the fake received. */
export interface Received {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Waits this long before answering. */
  delayMs?: number;
  /** Never answers (a hung server). */
  hang?: boolean;
}

export type FakeHandler = (request: Received) => FakeAnswer | Promise<FakeAnswer>;

/** A stand-in for Purser on 127.0.0.1: answers what `handler` says and records every request. */
export interface FakePurser {
  url: string;
  received: Received[];
  handler: FakeHandler;
  /** Requests to `path`. */
  to(path: string): Received[];
  close(): Promise<void>;
}

export async function startFakePurser(handler: FakeHandler): Promise<FakePurser> {
  const received: Received[] = [];
  const hung = new Set<http.ServerResponse>();
  const fake: FakePurser = {
    url: '',
    received,
    handler,
    to: (path) => received.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hung) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const entry: Received = {
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        body,
      };
      received.push(entry);
      void Promise.resolve(fake.handler(entry)).then(async (answer) => {
        if (answer.hang) {
          hung.add(response);
          return;
        }
        if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        const payload =
          answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
        response.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          ...answer.headers,
        });
        response.end(payload);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** A decision answer as Purser's REST route writes it. */
export function restDecision(overrides: Record<string, unknown> = {}) {
  const result = {
    decision_id: 'dec_1',
    allow: true,
    action: 'allow',
    model: 'gpt-4o',
    max_output_tokens: 256,
    reasons: [],
    budgets: [
      {
        id: 'b1',
        limit: '10',
        spent: '1',
        reserved: '0.5',
        remaining: '8.5',
        resets_at: null,
      },
    ],
    reservation: {
      id: 'r1',
      amount: '0.01',
      currency: 'USD',
      expires_at: '2026-12-07T12:00:00.000Z',
    },
    estimated_cost: '0.01',
    currency: 'USD',
    policy_revision: 'rev-1',
    ...overrides,
  };
  return { decision_id: result.decision_id, result };
}

/** Purser's `POST /v1/usage` answer for `events`: all accepted. */
export function usageAccepted(events: unknown) {
  const list = Array.isArray(events) ? (events as { id: string }[]) : [];
  return {
    accepted: list.length,
    duplicates: 0,
    rejected: 0,
    results: list.map((event) => ({ id: event.id, status: 'accepted', reason: null })),
  };
}

/** The default fake: allow everything, accept all usage, release answers true. */
export const allowAll: FakeHandler = (request) => {
  if (request.path === '/v1/data/purser/authz/decision') return { body: restDecision() };
  if (request.path === '/v1/usage') return { body: usageAccepted(request.body) };
  if (request.path === '/graphql') return { body: { data: { releaseReservation: true } } };
  return { status: 404, body: { code: 'NOT_FOUND', message: 'no route' } };
};

/** Silent logger that keeps what it was told. */
export function memoryLogger() {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  return {
    lines,
    warn: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }),
  };
}

/** Events POSTed to `/v1/usage` so far, flattened. */
export function postedEvents(fake: FakePurser): Record<string, unknown>[] {
  return fake
    .to('/v1/usage')
    .flatMap((request) => (Array.isArray(request.body) ? request.body : [request.body])) as Record<
    string,
    unknown
  >[];
}

/** Resolves when `check` is true (polled every 10 ms), or throws after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A suite's fake Purser and the clients its tests make ({@link fakePurserPerTest}). */
export interface ClientRig {
  /** This test's fake, answering {@link allowAll} until a test sets its handler. */
  fake: FakePurser;
  /** The suite's logger, emptied before each test. */
  logger: ReturnType<typeof memoryLogger>;
  /** The clients made in this test, closed after it (a test may take one out to close it). */
  clients: PurserClient[];
  /** A client of this test's fake: fail mode closed, a 500 ms timeout, the suite's options. */
  client(options?: Partial<PurserClientOptions>): PurserClient;
}

/**
 * Registers the suite's per-test set-up: before each test a fresh fake Purser and an empty
 * log; after it, every client made is closed (100 ms to flush), then the fake.
 */
export function fakePurserPerTest(defaults: Partial<PurserClientOptions>): ClientRig {
  const rig: ClientRig = {
    fake: undefined as unknown as FakePurser,
    logger: memoryLogger(),
    clients: [],
    client(options = {}) {
      const created = new PurserClient({
        url: rig.fake.url,
        apiKey: 'k',
        failMode: 'closed',
        timeoutMs: 500,
        logger: rig.logger,
        ...defaults,
        ...options,
      });
      rig.clients.push(created);
      return created;
    },
  };
  beforeEach(async () => {
    rig.logger.lines.length = 0;
    rig.fake = await startFakePurser(allowAll);
  });
  afterEach(async () => {
    for (const created of rig.clients.splice(0)) await created.close(100);
    await rig.fake.close();
  });
  return rig;
}
