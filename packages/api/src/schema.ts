import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { ApiKeyResolver } from './api-keys/api-key.resolver';
import { PricingResolver } from './pricing/pricing.resolver';
import { UsageResolver } from './usage/usage.resolver';
import { BudgetResolver } from './budgets/budget.resolver';
import { DecisionResolver } from './decisions/decision.resolver';
import { VelocityResolver } from './velocity/velocity.resolver';
import { VirtualKeyResolver } from './virtual-keys/virtual-key.resolver';
import { AllocationResolver } from './allocation/allocation.resolver';
import { MetricsResolver } from './metrics/metrics.resolver';
import { BillingResolver } from './billing/billing.resolver';
import { WasteResolver } from './insights/waste.resolver';
import { NotificationsResolver } from './notifications/notifications.resolver';
import { AnomalyResolver } from './insights/anomaly.resolver';
import { ForecastResolver } from './insights/forecast.resolver';
import { scalarsMap } from './graphql/scalars';

/** Every resolver of the GraphQL API. */
export const resolvers = [
  ApiKeyResolver,
  PricingResolver,
  UsageResolver,
  BudgetResolver,
  VirtualKeyResolver,
  VelocityResolver,
  DecisionResolver,
  AllocationResolver,
  MetricsResolver,
  BillingResolver,
  AnomalyResolver,
  ForecastResolver,
  NotificationsResolver,
  WasteResolver,
] as const;

export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers, scalarsMap, validate: false, emitSchemaFile: false });
}
