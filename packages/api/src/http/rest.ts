import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { assertPermission, bearerSecret, type Principal } from '../auth/api-key.service';
import type { Permission } from '../auth/roles';
import { PurserError } from '../errors';
import type { Services } from '../services';

export interface AuthedRequest extends Request {
  principal?: Principal | null;
}

/** Resolves the bearer key of every REST request under it; answers 401 when missing or unknown. */
export function restAuthentication(services: Services) {
  return async (request: AuthedRequest, response: Response, next: NextFunction) => {
    try {
      const secret = bearerSecret(request.header('authorization'));
      const principal = secret ? await services.apiKeys.authenticate(secret) : null;
      if (!principal) {
        response.status(401).json({
          code: 'UNAUTHENTICATED',
          message: secret
            ? 'Unknown or revoked API key'
            : 'A valid API key is required: Authorization: Bearer <key>',
        });
        return;
      }
      request.principal = principal;
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** Wraps a REST handler: checks the permission, maps domain errors to their status and JSON body. */
export function restHandler(
  services: Services,
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

export function sendError(services: Services, response: Response, error: unknown): void {
  if (error instanceof PurserError) {
    response
      .status(error.httpStatus)
      .json({ code: error.code, message: error.message, ...(error.details ?? {}) });
    return;
  }
  if (error instanceof ZodError) {
    response.status(400).json({
      code: 'BAD_USER_INPUT',
      message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    });
    return;
  }
  services.logger.error({ err: error }, 'unexpected REST error');
  response.status(500).json({
    code: 'INTERNAL_SERVER_ERROR',
    message: services.env.NODE_ENV === 'production' ? 'Internal server error' : String(error),
  });
}
