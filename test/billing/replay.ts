/** A local HTTP server replaying provider billing pages, recording each request. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { listenLocally } from '../support/local-server';

export interface Recorded {
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export interface Replay {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startReplay(
  respond: (request: Recorded) => { status?: number; body: unknown },
): Promise<Replay> {
  const requests: Recorded[] = [];
  const server = createServer((incoming, outgoing) => {
    const parsed = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const request = {
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: incoming.headers,
    };
    requests.push(request);
    const answer = respond(request);
    outgoing.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify(answer.body));
  });
  return { ...(await listenLocally(server)), requests };
}
