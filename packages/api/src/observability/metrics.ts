import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so tests can run several instances in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'purser_' });
  const httpRequests = new Counter({
    name: 'purser_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const graphqlOperations = new Counter({
    name: 'purser_graphql_operations_total',
    help: 'GraphQL operations by name and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const ingestEvents = new Counter({
    name: 'purser_ingest_events_total',
    help: 'Usage events by path and outcome (accepted, duplicate, rejected)',
    labelNames: ['path', 'outcome'] as const,
    registers: [registry],
  });
  const ingestBatchSeconds = new Histogram({
    name: 'purser_ingest_batch_seconds',
    help: 'Time to validate, price and persist one ingest batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const decisionSeconds = new Histogram({
    name: 'purser_decision_seconds',
    help: 'authorize latency by path and action',
    labelNames: ['path', 'action'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'purser_auth_failures_total',
    help: 'Failed authentications by reason (unknown, rate_limited, unavailable)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const authStale = new Counter({
    name: 'purser_auth_stale_total',
    help: 'Requests whose API key was answered from its last read while the database was unreachable',
    registers: [registry],
  });
  const holdSettlementsRefused = new Counter({
    name: 'purser_hold_settlements_refused_total',
    help: 'Usage events naming a decision whose hold another API key placed (stored, hold not settled)',
    registers: [registry],
  });
  return {
    registry,
    authFailures,
    authStale,
    holdSettlementsRefused,
    httpRequests,
    graphqlOperations,
    ingestEvents,
    ingestBatchSeconds,
    decisionSeconds,
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
