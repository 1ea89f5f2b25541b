import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Every environment variable the service reads, validated once at start. Packages take
 * configuration as parameters; only this module reads `process.env`.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Postgres connection string; unset → embedded PGlite under PURSER_DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: positiveInt(10),
  /** Where the embedded PGlite database lives when DATABASE_URL is unset. */
  PURSER_DATA_DIR: z.string().min(1).default('./.purser'),
  /** NATS server(s), comma separated; unset → no NATS consumer (HTTP/GraphQL ingest still works). */
  NATS_URL: z
    .string()
    .regex(
      /^(nats|tls|wss?):\/\/[^,\s]+(,(nats|tls|wss?):\/\/[^,\s]+)*$/,
      'must be nats://host:port (comma separated for a cluster)',
    )
    .optional(),
  /**
   * The address people reach this service at (`https://purser.example.com`), for links in
   * notifications (the monthly report's PDF); unset → no link.
   */
  PURSER_PUBLIC_URL: z
    .string()
    .regex(
      /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/,
      'must be an http:// or https:// URL without query',
    )
    .optional(),
  /** Seeds the first admin key (stored hashed). */
  PURSER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Load the default price catalog into an empty database at start. */
  PURSER_SEED_CATALOG: booleanString.default(true),
  GRAPHQL_MAX_DEPTH: positiveInt(12),
  GRAPHQL_MAX_COMPLEXITY: positiveInt(5000),
  /** Lexical tokens a GraphQL document may hold; parsing stops past them (GRAPHQL_PARSE_FAILED). */
  GRAPHQL_MAX_TOKENS: positiveInt(2000),
  /** The largest `POST /graphql` body (document and variables), in bytes once decompressed. */
  GRAPHQL_MAX_BODY_BYTES: positiveInt(10 * 1024 * 1024),
  /** Events stamped further than this into the future are rejected. */
  INGEST_MAX_FUTURE_SKEW_SECONDS: positiveInt(300),
  /**
   * Events older than this are dead-lettered (ARCHITECTURE.md: late events are normal, billing
   * is reconciled for months; a year and a month covers a yearly reconciliation).
   */
  INGEST_MAX_AGE_DAYS: z.coerce.number().int().positive().max(36_500).default(400),
  /**
   * Deliveries of a NATS usage message whose batch keeps failing before it is dead-lettered
   * as `retries_exhausted` ("redelivered N times: <last error>") instead of retried again.
   */
  INGEST_MAX_DELIVERIES: z.coerce.number().int().min(2).max(1000).default(20),
  /** Usage messages per JetStream fetch and per write. */
  INGEST_BATCH_SIZE: positiveInt(1000),
  /**
   * Concurrent fetch loops of the NATS usage consumer per instance; each already writes one
   * batch while it fetches and prices the next. More loops mostly add Postgres contention.
   */
  INGEST_CONCURRENCY: positiveInt(1),
  INGEST_CONSUMER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('purser-ingest'),
  SHUTDOWN_TIMEOUT_SECONDS: positiveInt(25),
  /** The compiled policy bundle; default: the one committed in policies/bundle/. */
  PURSER_POLICY_BUNDLE: z.string().min(1).optional(),
  /** Swap in a new bundle when the file changes. */
  PURSER_POLICY_WATCH: booleanString.default(true),
  /** What authorize answers when Postgres is unreachable. */
  PURSER_FAIL_MODE: z.enum(['fail_closed', 'fail_open']).default('fail_closed'),
  /**
   * How long (ms) an API key read from the database is trusted before it is read again: the
   * longest a revocation made on another replica takes to apply here, and how long a secret
   * the database did not know is answered as unknown without a read.
   */
  PURSER_AUTH_CACHE_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * While the database cannot be reached, a key this replica verified keeps working for this
   * long after its last successful read (seconds; 0: not at all). A revocation applies at the
   * first read that succeeds.
   */
  PURSER_AUTH_STALE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Failed authentications a client address may make in a burst before it gets 429. */
  PURSER_AUTH_FAILURE_BURST: positiveInt(20),
  /** Failed authentications per second a client address earns back. */
  PURSER_AUTH_FAILURES_PER_SECOND: z.coerce.number().gt(0).max(10_000).default(1),
  /**
   * Failed authentications a gateway plugin's address (the socket of a policy call naming the
   * client it forwards for) may make in a burst, all its clients together; earned back in the
   * time a client address earns back its own burst. Each forwarded client keeps the burst above.
   */
  PURSER_AUTH_GATEWAY_FAILURE_BURST: positiveInt(200),
  /**
   * How old the budget and velocity counters a decision starts from may be (milliseconds);
   * older ones are read again. 0 reads them for every decision. Holds are always checked
   * under lock on the current values whatever this is.
   */
  PURSER_COUNTER_STALENESS_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /**
   * Whether a hold's commit waits for Postgres to flush its write-ahead log. `false` answers
   * sooner; a Postgres crash may then lose the holds of its last few hundred milliseconds.
   */
  PURSER_HOLD_SYNC_COMMIT: booleanString.default(true),
  /**
   * Whether a replica under sustained load on a budget takes a small share of its room and
   * places holds within it in memory, writing them behind (docs/0005-hold-allowances.md).
   */
  PURSER_HOLD_ALLOWANCES: booleanString.default(true),
  /** Holds per second on a budget window, over a full second, before allowances start. */
  PURSER_HOLD_ALLOWANCE_MIN_RATE: positiveInt(50),
  /** The largest share of a budget window's room one replica's allowance may take. */
  PURSER_HOLD_ALLOWANCE_SHARE: z.coerce.number().gt(0).max(1).default(0.02),
  /** How long a hold lives before the sweeper releases it. */
  PURSER_HOLD_TTL_SECONDS: positiveInt(600),
  /** How often expired holds are released and pending alerts published. */
  PURSER_SWEEP_INTERVAL_SECONDS: positiveInt(5),
  /**
   * How often each replica looks for spend anomalies in the last closed hours, records new ones
   * and publishes them on purser.anomalies.v1 (seconds; 0 turns the job off).
   */
  PURSER_ANOMALY_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * How far (percent) the service process lets V8's old generation grow past its live size
   * before the next full GC; 0 leaves the factor to V8. Applied by the service's entry point
   * (src/main.ts, with runtime/heap.ts), not by an embedded `Purser`.
   */
  PURSER_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(400),
  /**
   * Encrypts billing sources' API keys at rest (AES-256-GCM, key derived with HKDF-SHA256).
   * Any string of at least 32 characters; required once a billing source has an API key.
   */
  PURSER_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * How often every billing source is synced (the last 3 days again: providers restate):
   * seconds, or a number with s, m, h or d (`1d`, `6h`); `off` disables. Default 1 day
   * (off when NODE_ENV is test, unless set).
   */
  PURSER_BILLING_SYNC_INTERVAL: z
    .string()
    .regex(/^(off|\d+[smhd]?)$/, 'seconds, or a number with s, m, h or d (1d, 6h), or off')
    .optional(),
  /** Attempts a webhook delivery gets in all before it is recorded as failed (docs/notifications.md). */
  PURSER_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** How long one webhook attempt may take, connection and answer included (seconds). */
  PURSER_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
  /** The wait before a webhook's 2nd attempt (seconds), doubled each time up to 1 hour, jittered. */
  PURSER_WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
});

export type Env = z.infer<typeof envSchema>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; empty strings count as unset. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const got = cleaned[name] === undefined ? '' : ` (got ${JSON.stringify(cleaned[name])})`;
        return `${name}: ${describeIssue(issue)}${got}`;
      }),
    );
  }
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  }
  return issue.message;
}
