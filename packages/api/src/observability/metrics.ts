import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service instance, so tests can run several instances in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'purser_' });
  /** A counter in this instance's registry, labelled by `labelNames` when given. */
  const counter = <L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ) => new Counter<L>({ name, help, labelNames: labelNames ?? [], registers: [registry] });
  const httpRequests = counter('purser_http_requests_total', 'HTTP requests by route and status', [
    'route',
    'status',
  ]);
  const graphqlOperations = counter(
    'purser_graphql_operations_total',
    'GraphQL operations by name and outcome',
    ['operation', 'outcome'],
  );
  const ingestEvents = counter(
    'purser_ingest_events_total',
    'Usage events by path and outcome (accepted, duplicate, rejected)',
    ['path', 'outcome'],
  );
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
  const authFailures = counter(
    'purser_auth_failures_total',
    'Failed authentications by reason (unknown, rate_limited, unavailable)',
    ['reason'],
  );
  const authStale = counter(
    'purser_auth_stale_total',
    'Requests whose API key was answered from its last read while the database was unreachable',
  );
  const holdSettlementsRefused = counter(
    'purser_hold_settlements_refused_total',
    'Usage events naming a decision whose hold another API key placed (stored, hold not settled)',
  );
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
