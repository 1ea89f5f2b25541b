import type { Router } from 'express';
import type { AuthorizeService } from '../decisions/authorize.service';
import type { HttpServices } from '../http/rest';
import type { IngestService } from '../usage/ingest.service';
import { gatewayRoutes } from './gateway.routes';
import { litellmRoutes } from './litellm.routes';
import { otlpRoutes } from './otlp.routes';

/** What the integration receivers use of the services. */
export type IntegrationServices = HttpServices & {
  ingest: IngestService;
  authorizer: AuthorizeService;
};

/**
 * The receivers of the tools that plug in without code (docs/integrations.md): OTLP traces,
 * LiteLLM's logger, the Kong, APISIX and Envoy policy calls. Each reads its own body and checks its own key.
 */
export function integrationRoutes(router: Router, services: IntegrationServices): void {
  otlpRoutes(router, services);
  litellmRoutes(router, services);
  gatewayRoutes(router, services);
}
