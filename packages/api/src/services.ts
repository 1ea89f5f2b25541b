import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { ApiKeyService } from './auth/api-key.service';
import type { Env } from './config/env';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import { PricingService } from './pricing/pricing.service';
import { IngestService } from './usage/ingest.service';
import { RepriceService } from './usage/reprice.service';
import { SpendService } from './usage/spend.service';
import { UsageQueryService } from './usage/usage-query.service';

/** The domain services of one instance, built once and shared by GraphQL, REST and consumers. */
export interface Services {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  nats: NatsConnection | null;
  apiKeys: ApiKeyService;
  pricing: PricingService;
  ingest: IngestService;
  spend: SpendService;
  usageQueries: UsageQueryService;
  reprice: RepriceService;
}

export function createServices(deps: {
  env: Env;
  logger: Logger;
  metrics: Metrics;
  dataSource: DataSource;
  nats: NatsConnection | null;
}): Services {
  const pricing = new PricingService(deps.dataSource, deps.logger);
  const ingest = new IngestService({ ...deps, pricing, nats: () => deps.nats });
  return {
    ...deps,
    apiKeys: new ApiKeyService(deps.dataSource),
    pricing,
    ingest,
    spend: new SpendService(deps.dataSource),
    usageQueries: new UsageQueryService(deps.dataSource, ingest),
    reprice: new RepriceService(deps.dataSource, pricing, deps.logger),
  };
}
