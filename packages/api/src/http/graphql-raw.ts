import type http from 'node:http';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context';
import type { Services } from '../services';
import { rawServable, readJsonBody, sendJson } from './rest';

/** The largest GraphQL request body, on both paths (express.json's limit on the other). */
export const GRAPHQL_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * `POST /graphql` with a JSON body straight from the HTTP server into Apollo, as the Express
 * integration does it but without the router and body parser in between (the decision path
 * runs through here at gateway rates). Anything else — GET, a query string, a compressed
 * body — is left to Express and answers the same. Answers true when it took the request.
 */
export function serveGraphQLRaw(
  apollo: ApolloServer<GraphQLContext>,
  services: Services,
  context: (
    authorization: string | undefined,
    requestId: string | undefined,
    clientAddress: string | undefined,
  ) => Promise<GraphQLContext>,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): boolean {
  if (request.method !== 'POST' || request.url !== '/graphql' || !rawServable(request))
    return false;
  request.on('error', () => response.destroy());
  readJsonBody(request, GRAPHQL_BODY_LIMIT, (read) => {
    const count = (status: number) =>
      services.metrics.httpRequests.inc({ route: '/graphql', status: String(status) });
    if (!read.ok) {
      count(read.status);
      sendJson(response, read.status, read.problem);
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const requestId = request.headers['x-request-id'];
    void apollo
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers, search: '', body: read.body },
        context: () =>
          context(
            request.headers.authorization,
            Array.isArray(requestId) ? requestId[0] : requestId,
            request.socket.remoteAddress,
          ),
      })
      .then(async (answer) => {
        const status = answer.status ?? 200;
        for (const [key, value] of answer.headers) response.setHeader(key, value);
        response.statusCode = status;
        count(status);
        if (answer.body.kind === 'complete') {
          response.setHeader('content-length', Buffer.byteLength(answer.body.string));
          response.end(answer.body.string);
          return;
        }
        for await (const chunk of answer.body.asyncIterator) response.write(chunk);
        response.end();
      })
      .catch((error: unknown) => {
        services.logger.error({ err: error }, 'unexpected GraphQL transport error');
        response.destroy();
      });
  });
  return true;
}
