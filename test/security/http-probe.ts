import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { watchLoop } from '../support/loop-watch';
import type { RunningPurser } from '../support/purser';

/**
 * The longest the event loop may be held while the service answers one hostile request.
 * Purser runs in the test process, so a request that holds the service's loop holds this
 * one too: the delay of this loop is the delay `/healthz`, authorize and ingest would see.
 */
export const MAX_LOOP_DELAY_MS = 250;

/**
 * Runs `work` and answers its result with the longest the event loop was held meanwhile by
 * this process's own work (`maxHeldMs`, see {@link watchLoop}), and the longest wall-clock
 * delay (`maxDelayMs`, which a loaded machine inflates: not for assertions).
 */
export const measureLoopDelay = watchLoop;

/** An HTTP answer: its status, headers and body (JSON when it parses, else the text). */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** POSTs `body` to `url` and reads the whole answer. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return readAnswer(response);
}

/** Reads a response as an {@link Answer}: its body parsed when it is JSON, else the text. */
export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text is the body.
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** The `extensions.code` of every GraphQL error in a body (none when it has no `errors`). */
export function errorCodes(body: unknown): unknown[] {
  const errors = (body as { errors?: { extensions?: { code?: unknown } }[] } | null)?.errors;
  return Array.isArray(errors) ? errors.map((error) => error.extensions?.code) : [];
}

/** The `message` of every GraphQL error in a body. */
export function errorMessages(body: unknown): string[] {
  const errors = (body as { errors?: { message?: unknown }[] } | null)?.errors;
  return Array.isArray(errors) ? errors.map((error) => String(error.message)) : [];
}

/**
 * V8's full garbage collection, made callable without `--expose-gc` on the command line (the
 * flag only has to be set before a fresh context asks for `gc`).
 */
export function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** The heap in use after two full collections, in bytes. */
export function settledHeap(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * In the enclosing describe: each test fails if the service logged an error meanwhile
 * (`service` is read when the test starts, once `beforeAll` has started it).
 */
export function expectNoErrorLogged(service: () => RunningPurser): void {
  let errorLogs: jest.SpyInstance;
  beforeEach(() => {
    errorLogs = jest.spyOn(service().purser.services.logger, 'error');
  });
  afterEach(() => {
    const logged = [...errorLogs.mock.calls];
    errorLogs.mockRestore();
    expect(logged).toEqual([]);
  });
}
