import { createServer, type IncomingHttpHeaders } from 'node:http';
import { listenLocally } from '../support/local-server';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The test's clock when it arrived (ms). */
  at: number;
  /** Answers with `status`, once (a request `respond` held waits for this). */
  answer(status: number): void;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: Received[];
  /** What reached `path`, in order. */
  at(path: string): Received[];
  /** Resolves once `count` requests reached `path` (fails after 10 s). */
  arrived(path: string, count: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1: records every request and answers what `respond` says for
 * the path and the how-manieth request to it this is (1-based); a number is a status, an
 * object may also wait before answering, and `'hold'` leaves the request open until the test
 * calls its `answer` (so the test decides when an attempt under way ends, instead of guessing
 * with delays).
 */
export async function startReceiver(
  respond: (path: string, nth: number) => number | { status: number; delayMs: number } | 'hold',
  clock: () => number = Date.now,
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const answer = (status: number) => {
        if (response.headersSent || response.destroyed) return;
        response.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      };
      received.push({
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: clock(),
        answer,
      });
      const said = respond(path, received.filter((item) => item.path === path).length);
      if (said === 'hold') return;
      const { status, delayMs } = typeof said === 'number' ? { status: said, delayMs: 0 } : said;
      if (delayMs > 0) setTimeout(() => answer(status), delayMs).unref();
      else answer(status);
    });
  });
  const at = (path: string) => received.filter((item) => item.path === path);
  return {
    ...(await listenLocally(server)),
    received,
    at,
    async arrived(path, count) {
      const deadline = Date.now() + 10_000;
      while (at(path).length < count) {
        if (Date.now() > deadline) {
          throw new Error(`${count} requests to ${path} expected, ${at(path).length} came`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return at(path);
    },
  };
}
