import type http from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import {
  type ApiKeyService,
  assertPermission,
  bearerSecret,
  type Principal,
} from '../auth/api-key.service';
import type { FailingClient } from '../auth/failure-limiter';
import type { Permission } from '../auth/roles';
import { PurserError } from '../errors';
import { databaseUnavailable, isTransientDatabaseError } from '../db/transient';
import type { Env } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';

/**
 * What the HTTP kit uses of the services: the kit knows no domain and not the registry, which
 * satisfies this (a route asks for the registry's type: see the api README, "Layers").
 */
export interface HttpServices {
  env: Pick<Env, 'NODE_ENV'>;
  logger: Logger;
  metrics: Pick<Metrics, 'httpRequests'>;
  apiKeys: Pick<ApiKeyService, 'authenticate'>;
}

export interface AuthedRequest extends Request {
  principal?: Principal | null;
}

/**
 * A request the key check refused, with its REST answer: `unauthenticated` (no usable key,
 * 401) or `error` (the key could not be checked: 503 while the database is unreachable, 429
 * after too many failures from the address), with the status, body and headers of that error.
 */
export interface AuthenticationRefusal {
  refused: 'unauthenticated' | 'error';
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * The one key check of every HTTP path (the REST routes, the raw routes, GraphQL's gate, the
 * gateway plugins' calls): the principal of the request's bearer key, or how it was refused;
 * failures are counted against `clientAddress` (the socket's, or a gateway's and the client it
 * forwards for). An admitted request gets its principal itself, so the check allocates nothing
 * more on the hot path.
 */
export async function authenticateRequest(
  services: HttpServices,
  authorization: string | undefined,
  clientAddress: FailingClient | undefined,
): Promise<Principal | AuthenticationRefusal> {
  const secret = bearerSecret(authorization);
  try {
    const principal = secret ? await services.apiKeys.authenticate(secret, clientAddress) : null;
    return (
      principal ?? { refused: 'unauthenticated', status: 401, body: unauthenticatedBody(secret) }
    );
  } catch (error) {
    return { refused: 'error', ...errorResponse(services, error) };
  }
}

/** Whether {@link authenticateRequest} refused the request. */
export function isRefusal(
  checked: Principal | AuthenticationRefusal,
): checked is AuthenticationRefusal {
  return 'refused' in checked;
}

/**
 * Resolves the bearer key of every REST request under it; answers 401 when missing or unknown
 * (and the error's status when the key cannot be checked).
 */
export function restAuthentication(services: HttpServices) {
  return async (request: AuthedRequest, response: Response, next: NextFunction) => {
    try {
      const checked = await authenticateRequest(
        services,
        request.header('authorization'),
        request.socket.remoteAddress,
      );
      if (isRefusal(checked)) {
        if (checked.headers) response.set(checked.headers);
        response.status(checked.status).json(checked.body);
        return;
      }
      request.principal = checked;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Wraps a REST handler: checks the permission, maps domain errors to their status and JSON body. */
export function restHandler(
  services: HttpServices,
  permission: Permission,
  handler: (request: AuthedRequest, response: Response, principal: Principal) => Promise<void>,
) {
  return async (request: AuthedRequest, response: Response) => {
    try {
      const principal = assertPermission(request.principal ?? null, permission);
      await handler(request, response, principal);
    } catch (error) {
      sendError(services, response, error);
    }
  };
}

export function sendError(services: HttpServices, response: Response, error: unknown): void {
  const { status, body, headers } = errorResponse(services, error);
  if (headers) response.set(headers);
  response.status(status).json(body);
}

/** When a 503 was last logged: an outage answers every request 503, at gateway rates. */
let unavailableLoggedAt = 0;
const UNAVAILABLE_LOG_INTERVAL_MS = 30_000;

/** Logs a 503 at most once every 30 s (each one is counted in the metrics anyway). */
function logUnavailable(services: HttpServices, error: PurserError): void {
  const now = Date.now();
  if (now - unavailableLoggedAt < UNAVAILABLE_LOG_INTERVAL_MS) return;
  unavailableLoggedAt = now;
  services.logger.warn(
    { err: error.cause ?? error },
    'REST request answered 503 (logged once every 30 s while it lasts)',
  );
}

/** The status, JSON body and extra headers (`Retry-After`) a REST error is answered with. */
export function errorResponse(
  services: HttpServices,
  error: unknown,
): { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
  // A database that cannot be reached is the service being unavailable, whichever code path
  // met it: 503 with Retry-After, so callers retry, rather than a 500.
  const known =
    !(error instanceof PurserError) && isTransientDatabaseError(error)
      ? databaseUnavailable(error)
      : error;
  if (known instanceof PurserError) {
    if (known.code === 'UNAVAILABLE') logUnavailable(services, known);
    return {
      status: known.httpStatus,
      body: { code: known.code, message: known.message, ...(known.details ?? {}) },
      ...(known.retryAfterSeconds !== undefined
        ? { headers: { 'retry-after': String(known.retryAfterSeconds) } }
        : {}),
    };
  }
  if (error instanceof ZodError) {
    return {
      status: 400,
      body: {
        code: 'BAD_USER_INPUT',
        message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      },
    };
  }
  services.logger.error({ err: error }, 'unexpected REST error');
  return {
    status: 500,
    body: {
      code: 'INTERNAL_SERVER_ERROR',
      message: services.env.NODE_ENV === 'production' ? 'Internal server error' : String(error),
    },
  };
}

/** The answer to a request without a usable API key, as `restAuthentication` gives it. */
export function unauthenticatedBody(secret: string | null) {
  return {
    code: 'UNAUTHENTICATED',
    message: secret
      ? 'Unknown or revoked API key'
      : 'A valid API key is required: Authorization: Bearer <key>',
  };
}

/**
 * A REST endpoint on the hot path, served straight from Node's HTTP server (no Express
 * router, body parser or ETag): the same authentication, permission, JSON and error bodies
 * as the routes under `restHandler`, with a fraction of the work per request.
 */
export interface RawRoute {
  method: 'POST';
  /** The exact request path under `/v1` (with a query string the Express route serves it). */
  path: string;
  permission: Permission;
  /** Answers the JSON body of a 200; throws domain errors like a `restHandler`. */
  handle(body: unknown, principal: Principal): Promise<unknown>;
}

const JSON_TYPE = /^application\/(json|[^;\s]+\+json)\s*(;|$)/i;
const MAX_RAW_BODY = 1024 * 1024;

export function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  response.end(json);
}

/** A request body read by {@link readJsonBody}. */
export type RawBody =
  | { ok: true; body: unknown }
  | { ok: false; status: number; problem: { code: string; message: string } };

/**
 * Whether a request can be served straight from the HTTP server: a JSON body, not
 * compressed (Express's body parser handles the rest).
 */
export function rawServable(request: http.IncomingMessage): boolean {
  const encoding = request.headers['content-encoding'];
  return !encoding || encoding === 'identity';
}

/**
 * Reads the whole body and parses it as express.json would: JSON content types only (other
 * bodies read as undefined), an empty body as {}, at most `limit` bytes.
 */
export function readJsonBody(
  request: http.IncomingMessage,
  limit: number,
  done: (body: RawBody) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    else chunks.push(chunk);
  });
  request.on('end', () => {
    if (tooLarge) {
      done({
        ok: false,
        status: 413,
        problem: {
          code: 'PAYLOAD_TOO_LARGE',
          message: `Request body is larger than the limit of ${limit} bytes`,
        },
      });
      return;
    }
    if (!JSON_TYPE.test(request.headers['content-type'] ?? '')) {
      done({ ok: true, body: undefined });
      return;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      // An empty JSON body reads as {}, as express.json reads it (the Express route).
      done({ ok: true, body: text.length > 0 ? JSON.parse(text) : {} });
    } catch (error) {
      done({
        ok: false,
        status: 400,
        problem: {
          code: 'BAD_USER_INPUT',
          message: `Request body is not valid JSON: ${(error as Error).message}`,
        },
      });
    }
  });
}

/**
 * Serves `route` for a request it matches and answers true; false when Express must serve
 * it (another method or path, a query string, or a compressed body). The key is checked
 * before the body is read: without a valid one the body is discarded unread.
 */
export function serveRaw(
  services: HttpServices,
  route: RawRoute,
  request: http.IncomingMessage,
  response: http.ServerResponse,
): boolean {
  if (request.method !== route.method || request.url !== `/v1${route.path}`) return false;
  if (!rawServable(request)) return false;
  request.on('error', () => response.destroy());
  type Reply = [number, unknown, Record<string, string>?];
  const reply = ([status, body, headers]: Reply) => {
    services.metrics.httpRequests.inc({ route: route.path, status: String(status) });
    sendJson(response, status, body, headers);
  };
  const fail = (error: unknown) => {
    services.logger.error({ err: error }, 'unexpected REST error');
    response.destroy();
  };

  const answer = async (read: RawBody, principal: Principal): Promise<Reply> => {
    if (!read.ok) return [read.status, read.problem];
    try {
      return [200, await route.handle(read.body, assertPermission(principal, route.permission))];
    } catch (error) {
      const { status, body: problem, headers } = errorResponse(services, error);
      return [status, problem, headers];
    }
  };

  authenticateRequest(services, request.headers.authorization, request.socket.remoteAddress).then(
    (checked) => {
      if (isRefusal(checked)) {
        request.resume();
        reply([checked.status, checked.body, checked.headers]);
        return;
      }
      readJsonBody(request, MAX_RAW_BODY, (read) => {
        answer(read, checked).then(reply, fail);
      });
    },
    fail,
  );
  return true;
}
