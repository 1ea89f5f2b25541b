import type { Router } from 'express';
import type { Principal } from '../auth/api-key.service';
import { type HttpServices, type RawRoute, restHandler } from '../http/rest';
import type { AuthorizeService } from './authorize.service';
import { restAuthorizeRequest, toRestAnswer } from './authorize-mapping';

/** What the decision routes use of the services. */
type RouteServices = HttpServices & { authorizer: AuthorizeService };

/** Decides on an OPA Data API body and answers OPA's result shape. */
async function decideOpaInput(services: RouteServices, body: unknown, principal: Principal) {
  const request = restAuthorizeRequest(body);
  return toRestAnswer(await services.authorizer.authorize(request, principal, 'rest'));
}

const DECISION_PATH = '/data/purser/authz/decision';

/**
 * `POST /v1/data/purser/authz/decision`: OPA's Data API shape, so gateway plugins that speak
 * OPA can call Purser unchanged. Answers `{"result": <decision>, "decision_id": "..."}`.
 * Served by {@link decisionRawRoute} on the hot path; this Express route serves the same
 * for what that one leaves (a query string, a compressed body).
 */
export function decisionRoutes(router: Router, services: RouteServices): void {
  router.post(
    DECISION_PATH,
    restHandler(services, 'decisions.authorize', async (request, response, principal) => {
      response.json(await decideOpaInput(services, request.body, principal));
    }),
  );
}

/** The same endpoint straight from the HTTP server (see `serveRaw`). */
export function decisionRawRoute(services: RouteServices): RawRoute {
  return {
    method: 'POST',
    path: DECISION_PATH,
    permission: 'decisions.authorize',
    handle: (body, principal) => decideOpaInput(services, body, principal),
  };
}
