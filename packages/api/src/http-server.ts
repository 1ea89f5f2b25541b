import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type Response,
  Router,
} from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Principal } from './auth/api-key.service';
import type { GraphQLContext } from './graphql/context';
import { createFormatError } from './graphql/format-error';
import { complexityLimit, depthLimit } from './graphql/limits';
import { knownOperationTypes } from './graphql/operation-types';
import type { Services } from './services';
import { bodyErrorResponse } from './http/body-errors';
import { consoleStatic } from './http/console-static';
import { admittedPrincipal, graphqlGate, notAdmitted } from './http/graphql-gate';
import { serveGraphQLRaw } from './http/graphql-raw';
import { type RawRoute, restAuthentication, sendError, serveRaw } from './http/rest';

/** A readiness probe: a name and a check that throws (or resolves false) when not ready. */
export type ReadinessCheck = { name: string; check: () => Promise<boolean> };

export interface HttpServerOptions {
  services: Services;
  schema: GraphQLSchema;
  readiness: ReadinessCheck[];
  /** REST routes under `/v1`, behind bearer authentication. */
  routes: ((router: Router, services: Services) => void)[];
  /** Hot-path REST routes served before Express (each also has an Express route). */
  rawRoutes?: ((services: Services) => RawRoute)[];
  /**
   * Routes under `/v1` that read their own bodies (protobuf, NDJSON) and check their own keys
   * (a gateway plugin's key may travel in its body): installed before the JSON parser and the
   * bearer authentication of `routes`.
   */
  ownBodyRoutes?: ((router: Router, services: Services) => void)[];
  /** The built web console served at `/console` (default: `packages/console/dist`). */
  consoleDir?: string;
}

export interface PurserHttpServer {
  app: Express;
  server: http.Server;
  apollo: ApolloServer<GraphQLContext<Services>>;
}

export async function createHttpServer(options: HttpServerOptions): Promise<PurserHttpServer> {
  const { services, schema } = options;
  const { env, metrics, logger } = services;
  const production = env.NODE_ENV === 'production';
  const app = express();
  app.disable('x-powered-by');
  const rawRoutes = (options.rawRoutes ?? []).map((route) => route(services));
  // Set once Apollo has started (it needs the server for draining).
  const graphql: {
    raw?: (request: http.IncomingMessage, response: http.ServerResponse) => boolean;
  } = {};
  const server = http.createServer((request, response) => {
    for (const route of rawRoutes) if (serveRaw(services, route, request, response)) return;
    if (graphql.raw?.(request, response)) return;
    app(request, response);
  });
  // Keep-alive sockets must outlive typical load-balancer idle timeouts.
  server.keepAliveTimeout = 65_000;

  const apollo = new ApolloServer<GraphQLContext<Services>>({
    schema,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT and stops every component in order.
    stopOnTerminationSignals: false,
    introspection: !production,
    // Introspection off is not enough: "Did you mean …?" in an error would name the schema.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: !production,
    // Parsing stops at this many tokens, so a document's size bounds every step after it.
    parseOptions: { maxTokens: env.GRAPHQL_MAX_TOKENS },
    validationRules: [knownOperationTypes, depthLimit(env.GRAPHQL_MAX_DEPTH)],
    formatError: createFormatError(logger, production),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // No cache hints: every answer is live (decisions, budgets, spend). Apollo's default
      // cache-control plugin would otherwise wrap every field's resolver to collect them,
      // ≈ 30 KB of garbage per authorize (docs/0004).
      ApolloServerPluginCacheControlDisabled(),
      complexityLimit(() => schema, env.GRAPHQL_MAX_COMPLEXITY),
      production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ footer: false, embed: true }),
    ],
  });
  await apollo.start();

  app.use((request: Request, response: Response, next: NextFunction) => {
    response.on('finish', () => {
      const route = request.route?.path ?? request.baseUrl ?? request.path;
      metrics.httpRequests.inc({
        route: typeof route === 'string' && route ? route : 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  });

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.get('/readyz', async (_request, response) => {
    const checks: Record<string, 'ok' | 'failing'> = {};
    await Promise.all(
      options.readiness.map(async ({ name, check }) => {
        checks[name] = await check().then(
          (ok) => (ok ? 'ok' : 'failing'),
          () => 'failing',
        );
      }),
    );
    const ready = Object.values(checks).every((state) => state === 'ok');
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (_request, response) => {
    response.setHeader('Content-Type', metrics.registry.contentType);
    response.send(await metrics.registry.metrics());
  });

  // Every GraphQL request passes graphqlGate (Express) or admitGraphQL (raw path) first, so
  // the context always has a principal; without one it refuses before Apollo parses anything.
  const graphqlContext = (
    principal: Principal | undefined,
    requestId: string | undefined,
  ): GraphQLContext<Services> => {
    if (!principal) throw notAdmitted();
    return { principal, services, requestId: requestId ?? randomUUID() };
  };
  app.use(
    '/graphql',
    graphqlGate(services),
    express.json({ limit: env.GRAPHQL_MAX_BODY_BYTES }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        graphqlContext(admittedPrincipal(res), req.header('x-request-id')),
    }),
  );
  graphql.raw = (request, response) =>
    serveGraphQLRaw(
      apollo,
      services,
      graphqlContext,
      env.GRAPHQL_MAX_BODY_BYTES,
      request,
      response,
    );

  const ownBodyRouter = Router();
  for (const install of options.ownBodyRoutes ?? []) install(ownBodyRouter, services);
  app.use('/v1', ownBodyRouter);

  const router = Router();
  // The key first: a request without one is refused before its body is read.
  router.use(restAuthentication(services));
  router.use(express.json({ limit: '10mb', type: ['application/json', 'application/*+json'] }));
  for (const install of options.routes) install(router, services);
  app.use('/v1', router);

  // The web console: static files, no key (it signs in to the API with one).
  app.use('/console', consoleStatic(options.consoleDir));

  app.use((request: Request, response: Response) => {
    response
      .status(404)
      .json({ code: 'NOT_FOUND', message: `No route for ${request.method} ${request.path}` });
  });
  // Express recognises an error handler by its four parameters.
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const unreadable = bodyErrorResponse(error);
    if (unreadable) {
      response.status(unreadable.status).json(unreadable.body);
      return;
    }
    if (error instanceof SyntaxError) {
      response.status(400).json({
        code: 'BAD_USER_INPUT',
        message: `Request body is not valid JSON: ${(error as Error).message}`,
      });
      return;
    }
    sendError(services, response, error);
  });

  return { app, server, apollo };
}
