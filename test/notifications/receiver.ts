import { createServer, type IncomingHttpHeaders } from 'node:http';
import { listenLocally } from '../support/local-server';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The test's clock when it arrived (ms). */
  at: number;
}

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: Received[];
  /** What reached `path`, in order. */
  at(path: string): Received[];
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1: records every request and answers what `respond` says for
 * the path and the how-manieth request to it this is (1-based); a number is a status, an
 * object may also wait before answering.
 */
export async function startReceiver(
  respond: (path: string, nth: number) => number | { status: number; delayMs: number },
  clock: () => number = Date.now,
): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: clock(),
      });
      const answer = respond(path, received.filter((item) => item.path === path).length);
      const { status, delayMs } =
        typeof answer === 'number' ? { status: answer, delayMs: 0 } : answer;
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      };
      if (delayMs > 0) setTimeout(send, delayMs).unref();
      else send();
    });
  });
  return {
    ...(await listenLocally(server)),
    received,
    at: (path) => received.filter((item) => item.path === path),
  };
}
