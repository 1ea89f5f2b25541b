import type { Router } from 'express';
import type { HttpServices } from '../http/rest';
import type { IngestService } from '../usage/ingest.service';
import { litellmRoutes } from './litellm.routes';
import { otlpRoutes } from './otlp.routes';

/** What the integration receivers use of the services. */
export type IntegrationServices = HttpServices & { ingest: IngestService };

/**
 * The receivers of the tools that plug in without code (docs/integrations.md): OTLP traces,
 * LiteLLM's logger. Each reads its own body and checks its own key.
 */
export function integrationRoutes(router: Router, services: IntegrationServices): void {
  otlpRoutes(router, services);
  litellmRoutes(router, services);
}
