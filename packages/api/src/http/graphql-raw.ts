import type http from 'node:http';
import { type ApolloServer, type BaseContext, HeaderMap } from '@apollo/server';
import type { Principal } from '../auth/api-key.service';
import { admitGraphQL } from './graphql-gate';
import { type HttpServices, rawServable, readJsonBody, sendJson } from './rest';

/**
 * `POST /graphql` with a JSON body straight from the HTTP server into Apollo, as the Express
 * integration does it but without the router and body parser in between (the decision path
 * runs through here at gateway rates). Anything else — GET, a query string, a compressed
 * body — is left to Express and answers the same. Answers true when it took the request.
 *
 * The key is checked first: without a valid one the body is discarded unread and the request
 * refused (`admitGraphQL`); with one, a body over `bodyLimit` bytes answers 413.
 */
export function serveGraphQLRaw<Context extends BaseContext>(
  apollo: ApolloServer<Context>,
  services: HttpServices,
  context: (principal: Principal, requestId: string | undefined) => Context,
  bodyLimit: number,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): boolean {
  if (request.method !== 'POST' || request.url !== '/graphql' || !rawServable(request))
    return false;
  request.on('error', () => response.destroy());
  const count = (status: number) =>
    services.metrics.httpRequests.inc({ route: '/graphql', status: String(status) });
  const requestId = request.headers['x-request-id'];
  admitGraphQL(services, request.headers.authorization, request.socket.remoteAddress).then(
    (admission) => {
      if (!admission.ok) {
        request.resume();
        for (const [name, value] of Object.entries(admission.headers))
          response.setHeader(name, value);
        count(admission.status);
        sendJson(response, admission.status, admission.body);
        return;
      }
      readJsonBody(request, bodyLimit, (read) => {
        if (!read.ok) {
          count(read.status);
          sendJson(response, read.status, read.problem);
          return;
        }
        execute(read.body, admission.principal);
      });
    },
    (error: unknown) => {
      services.logger.error({ err: error }, 'unexpected GraphQL transport error');
      response.destroy();
    },
  );

  const execute = (body: unknown, principal: Principal) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    void apollo
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: 'POST', headers, search: '', body },
        context: async () =>
          context(principal, Array.isArray(requestId) ? requestId[0] : requestId),
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
  };
  return true;
}
