import { createServer, type ServerResponse } from 'node:http';
import { listenLocally } from '../support/local-server';

/** A request the receiver holds until the test answers it. */
export interface HeldRequest {
  path: string;
  body: string;
  /** Answers with `status` (once). */
  answer(status: number): void;
}

export interface HeldReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What reached `path`, in order. */
  at(path: string): HeldRequest[];
  /** Resolves once `count` requests reached `path` (fails after 10 s). */
  arrived(path: string, count: number): Promise<HeldRequest[]>;
  close(): Promise<void>;
}

/**
 * A webhook receiver on 127.0.0.1 that answers a request only when the test says so (or at
 * once, with `answerAt`'s status for its path): the test decides when an attempt under way
 * ends, instead of guessing with delays.
 */
export async function startHeldReceiver(
  answerAt: (path: string) => number | 'hold' = () => 'hold',
): Promise<HeldReceiver> {
  const received: HeldRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const answer = (status: number) => send(response, status);
      received.push({ path, body: Buffer.concat(chunks).toString('utf8'), answer });
      const now = answerAt(path);
      if (now !== 'hold') answer(now);
    });
  });
  const at = (path: string) => received.filter((item) => item.path === path);
  return {
    ...(await listenLocally(server)),
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

function send(response: ServerResponse, status: number): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
}
