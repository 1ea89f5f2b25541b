import type { DataSource } from 'typeorm';
import { ApiKeyService } from './auth/api-key.service';
import { PricingService } from './pricing/pricing.service';
import type { Env } from './config/env';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';

/** The domain services of one instance, built once and shared by GraphQL, REST and consumers. */
export interface Services {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  apiKeys: ApiKeyService;
  pricing: PricingService;
}

export function createServices(deps: {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
}): Services {
  return {
    ...deps,
    apiKeys: new ApiKeyService(deps.dataSource),
    pricing: new PricingService(deps.dataSource, deps.logger),
  };
}
