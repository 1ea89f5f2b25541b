import type { NextFunction, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Principal } from '../auth/api-key.service';
import { authenticateRequest, type HttpServices, isRefusal, unauthenticatedBody } from './rest';

/**
 * Whether a GraphQL request may reach Apollo: every field of the schema needs a key, so a
 * request without a valid one is answered here — before its body is read or parsed, its
 * document parsed or validated — the cheapest refusal there is.
 */
export type GraphQLAdmission =
  | { ok: true; principal: Principal }
  | { ok: false; status: number; headers: Record<string, string>; body: unknown };

/** Resolves the bearer key of a GraphQL request; a refusal carries its whole answer. */
export async function admitGraphQL(
  services: HttpServices,
  authorization: string | undefined,
  clientAddress: string | undefined,
): Promise<GraphQLAdmission> {
  const checked = await authenticateRequest(services, authorization, clientAddress);
  if (!isRefusal(checked)) return { ok: true, principal: checked };
  const { code, message, ...details } = checked.body;
  if (checked.refused === 'unauthenticated') {
    return {
      ok: false,
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      // `data: null` as when a resolver refused the caller, which is what clients saw before.
      body: { errors: [{ message, extensions: { code } }], data: null },
    };
  }
  // The key could not be checked (the database, too many failures from this address):
  // answered with the status and headers REST answers it with.
  return {
    ok: false,
    status: checked.status,
    headers: checked.headers ?? {},
    body: { errors: [{ message, extensions: { code, ...details } }] },
  };
}

/**
 * Express middleware in front of the body parser and Apollo on `/graphql`: refuses a request
 * without a valid key, or leaves the principal in `response.locals` for the context. A GET
 * that asks for HTML is Apollo's landing page, which holds no schema and needs no key.
 */
export function graphqlGate(services: HttpServices) {
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.method === 'GET' && prefersHtml(request)) {
      next();
      return;
    }
    admitGraphQL(services, request.header('authorization'), request.socket.remoteAddress).then(
      (admission) => {
        if (admission.ok) {
          response.locals.principal = admission.principal;
          next();
          return;
        }
        response.status(admission.status).set(admission.headers).json(admission.body);
      },
      next,
    );
  };
}

/** The principal {@link graphqlGate} admitted, if it did. */
export function admittedPrincipal(response: Response): Principal | undefined {
  return response.locals.principal as Principal | undefined;
}

/**
 * The context's own refusal, for a request that reached Apollo without passing the gate
 * (it cannot, but the context never hands resolvers a missing principal): thrown before the
 * document is parsed.
 */
export function notAdmitted(): GraphQLError {
  return new GraphQLError(unauthenticatedBody(null).message, {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

// As Apollo decides whether a GET gets its landing page.
function prefersHtml(request: Request): boolean {
  return (
    request.accepts([
      'application/json',
      'application/graphql-response+json',
      'multipart/mixed',
      'text/html',
    ]) === 'text/html'
  );
}
