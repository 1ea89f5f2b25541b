import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { assertPermission, bearerSecret } from '../auth/api-key.service';
import type { FailingClient } from '../auth/failure-limiter';
import type { AuthorizeService, Decision } from '../decisions/authorize.service';
import { restAuthorizeRequest } from '../decisions/authorize-mapping';
import { bodyErrorResponse } from '../http/body-errors';
import { authenticateRequest, errorResponse, type HttpServices, isRefusal } from '../http/rest';
import { decisionHeaders, refusalBody, refusalMessage, refusalStatus } from './gateway-answers';
import {
  GATEWAY_KEY_HEADER,
  type GatewayCall,
  gatewayOpaInput,
  headerMap,
} from './gateway-request';

type RouteServices = HttpServices & { authorizer: AuthorizeService };

/** Largest policy call a gateway plugin may send (headers and, when sent, the body). */
const MAX_GATEWAY_BODY_BYTES = 1024 * 1024;

/** A gateway call decided, or why it could not be: a status and a JSON body. */
type Outcome =
  | { decided: true; decision: Decision; requestedModel: string }
  | {
      decided: false;
      status: number;
      body: Record<string, unknown>;
      headers?: Record<string, string>;
    };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Authenticates the gateway (its key as `X-Purser-Key` among the forwarded headers, else the
 * policy call's own bearer key when `callAuthorization` is given), then decides. The key is
 * taken out of the headers first, so nothing after this reads or logs it.
 */
async function decide(
  services: RouteServices,
  call: GatewayCall,
  gateway: string,
  callAuthorization: string | undefined,
  clientAddress: FailingClient | undefined,
): Promise<Outcome> {
  const forwardedKey = call.headers.get(GATEWAY_KEY_HEADER);
  call.headers.delete(GATEWAY_KEY_HEADER);
  const secret = forwardedKey ?? bearerSecret(callAuthorization) ?? undefined;
  try {
    const checked = await authenticateRequest(
      services,
      secret === undefined ? undefined : `Bearer ${secret}`,
      clientAddress,
    );
    if (isRefusal(checked)) {
      const body =
        checked.refused === 'unauthenticated' && secret === undefined
          ? {
              code: 'UNAUTHENTICATED',
              message: `A gateway key is required: ${GATEWAY_KEY_HEADER} among the forwarded headers`,
            }
          : checked.body;
      return { decided: false, status: checked.status, body, headers: checked.headers };
    }
    const principal = assertPermission(checked, 'decisions.authorize');
    const request = restAuthorizeRequest(gatewayOpaInput(call, gateway));
    const decision = await services.authorizer.authorize(request, principal, 'rest');
    return { decided: true, decision, requestedModel: request.model };
  } catch (error) {
    return { decided: false, ...errorResponse(services, error) };
  }
}

/**
 * Who the failed-authentication limit counts a policy call against: the client the gateway
 * forwards for, so that one client guessing keys through a gateway is limited without locking
 * out every other client of that gateway, and the socket's address itself (with a looser
 * burst): the forwarded client is whatever the caller sent, so a caller reaching Purser
 * directly and changing it on each guess is still limited.
 */
function limitedClient(socket: string | undefined, client: unknown): FailingClient | undefined {
  if (typeof client !== 'string' || client === '') return socket;
  return { socket: socket ?? '', forwardedFor: client.slice(0, 64) };
}

/** A JSON body a plugin passed as text (Kong's `body`), when it parses. */
function parsedText(text: unknown): unknown {
  if (typeof text !== 'string' || text === '' || text.length > MAX_GATEWAY_BODY_BYTES) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A refusal in a plugin's OPA result shape: its names for the status and the message. */
type Refusal = (
  status: number,
  message: string,
  headers?: Record<string, string>,
) => Record<string, unknown>;

const kongRefusal: Refusal = (status, message, headers) => ({
  allow: false,
  status,
  ...(headers ? { headers } : {}),
  message,
});

const apisixRefusal: Refusal = (status_code, reason, headers) => ({
  allow: false,
  status_code,
  reason,
  ...(headers ? { headers } : {}),
});

/** An outcome as an OPA Data API answer, `{"result": …}`, refusals in the plugin's shape. */
function sendResult(response: Response, outcome: Outcome, refusal: Refusal): void {
  if (!outcome.decided) {
    response.json({ result: refusal(outcome.status, String(outcome.body.message)) });
    return;
  }
  const { decision, requestedModel } = outcome;
  const headers = decisionHeaders(decision, requestedModel);
  response.json({
    result: decision.allow
      ? { allow: true, headers }
      : refusal(refusalStatus(decision), refusalMessage(decision), headers),
  });
}

/** Kong's OPA plugin: `input.request.http` (headers, `parsed_body` or `body`). */
async function kong(services: RouteServices, request: Request, response: Response) {
  const input: unknown = isObject(request.body) ? request.body.input : undefined;
  const http =
    isObject(input) && isObject(input.request) && isObject(input.request.http)
      ? input.request.http
      : undefined;
  if (!http) {
    response.json({ result: kongRefusal(400, 'input.request.http: required (Kong OPA input)') });
    return;
  }
  const call: GatewayCall = {
    path: typeof http.path === 'string' ? http.path : '',
    headers: headerMap(http.headers),
    body: http.parsed_body ?? parsedText(http.body),
  };
  const outcome = await decide(
    services,
    call,
    'kong',
    request.header('authorization'),
    limitedClient(request.socket.remoteAddress, isObject(input) ? input.client_ip : undefined),
  );
  sendResult(response, outcome, kongRefusal);
}

/** APISIX's `opa` plugin: `input.request` (headers, no body). */
async function apisix(services: RouteServices, request: Request, response: Response) {
  const input: unknown = isObject(request.body) ? request.body.input : undefined;
  const call = isObject(input) && isObject(input.request) ? input.request : undefined;
  if (!call) {
    response.json({ result: apisixRefusal(400, 'input.request: required (APISIX opa input)') });
    return;
  }
  const outcome = await decide(
    services,
    { path: typeof call.path === 'string' ? call.path : '', headers: headerMap(call.headers) },
    'apisix',
    request.header('authorization'),
    limitedClient(
      request.socket.remoteAddress,
      isObject(input) && isObject(input.var) ? input.var.remote_addr : undefined,
    ),
  );
  sendResult(response, outcome, apisixRefusal);
}

const ENVOY_PREFIX = '/v1/gateways/envoy';

/**
 * Envoy's HTTP ext_authz: the check request is the original one (method, `path_prefix` + path,
 * the allowed headers, the body when `with_request_body` is set). 200 with headers to add
 * upstream; otherwise the status and a JSON body Envoy hands the client.
 */
async function envoy(services: RouteServices, request: Request, response: Response) {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value) && value.length > 0) headers.set(name, value[0]);
  }
  const raw: unknown = request.body;
  const text = Buffer.isBuffer(raw) && raw.length > 0 ? raw.toString('utf8') : undefined;
  const call: GatewayCall = {
    path: request.originalUrl.slice(ENVOY_PREFIX.length).split('?')[0] || '/',
    headers,
    body: parsedText(text),
  };
  // The client's Authorization is its provider key: Envoy adds X-Purser-Key itself.
  const client =
    headers.get('x-envoy-external-address') ?? headers.get('x-forwarded-for')?.split(',')[0].trim();
  const outcome = await decide(
    services,
    call,
    'envoy',
    undefined,
    limitedClient(request.socket.remoteAddress, client),
  );
  if (!outcome.decided) {
    if (outcome.headers) response.set(outcome.headers);
    response.status(outcome.status).json(outcome.body);
    return;
  }
  const { decision, requestedModel } = outcome;
  response.set(decisionHeaders(decision, requestedModel));
  if (decision.allow) {
    response.set('x-envoy-auth-headers-to-remove', GATEWAY_KEY_HEADER);
    response.status(200).end();
    return;
  }
  if (decision.retryAfterSeconds !== undefined) {
    response.set('retry-after', String(decision.retryAfterSeconds));
  }
  response.status(refusalStatus(decision)).json(refusalBody(decision));
}

/**
 * A policy call whose body could not be read, answered in the plugin's shape. The JSON
 * parser's message quotes the body around the error, and the body carries `X-Purser-Key`
 * among the headers: it is never echoed (a gateway logs the answers it refuses).
 */
function unreadableBody(refusal: Refusal) {
  return (error: unknown, _request: Request, response: Response, next: NextFunction) => {
    const unreadable = bodyErrorResponse(error);
    if (!unreadable) return next(error);
    const message =
      (error as { type?: unknown }).type === 'entity.parse.failed'
        ? 'Request body is not valid JSON'
        : unreadable.body.message;
    response.json({ result: refusal(unreadable.status, message) });
  };
}

/**
 * The gateway plugins' policy calls: `POST /v1/gateways/kong`, `POST /v1/gateways/apisix`
 * (OPA's Data API envelope, answered in each plugin's result shape) and
 * `/v1/gateways/envoy/*` (Envoy's HTTP ext_authz `path_prefix`). The gateway key may travel
 * among the forwarded headers, so each reads its body before checking the key.
 */
export function gatewayRoutes(router: Router, services: RouteServices): void {
  const json = express.json({ limit: MAX_GATEWAY_BODY_BYTES, type: () => true });
  const raw = express.raw({ type: () => true, limit: MAX_GATEWAY_BODY_BYTES });
  // One route a path (a route's path labels its metrics). Any suffix too: APISIX calls
  // `{host}/v1/data/{policy}`, so its `host` carries the prefix.
  const dataApiGateways = [
    ['kong', kong, kongRefusal],
    ['apisix', apisix, apisixRefusal],
  ] as const;
  for (const [gateway, answer, refusal] of dataApiGateways) {
    const unreadable = unreadableBody(refusal);
    for (const path of [`/gateways/${gateway}`, `/gateways/${gateway}/*rest`]) {
      router.post(
        path,
        json,
        (request: Request, response: Response) => answer(services, request, response),
        unreadable,
      );
    }
  }
  for (const path of ['/gateways/envoy', '/gateways/envoy/*path']) {
    router.all(path, raw, (request, response) => envoy(services, request, response));
  }
}
