import { SCOPE_KEYS } from '../attribution/scope';
import { WASTE_THRESHOLDS } from './waste-rules';

/** Runs one SQL statement (a `DataSource.query`). */
export type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** The range and currency every waste query reads. */
export interface WasteWindow {
  from: Date;
  to: Date;
  currency: string;
}

/** Events of the window: `$1` from, `$2` to, `$3` currency (the other params follow). */
const IN_WINDOW = `occurred_at >= $1 AND occurred_at < $2 AND currency = $3`;
const PROMPT = `(input_tokens + cache_read_tokens + cache_write_tokens + cache_write_1h_tokens)`;
/** The group's team when all its calls share one, else null. */
const ONE_TEAM = `CASE WHEN count(team) = count(*) AND min(team) = max(team) THEN min(team) END AS team`;
/**
 * The first and last stored call of the group (optionally of its calls matching `filter`),
 * kept as ids: an ordered array of every event id would sort each group. `exampleIds` turns
 * them into event ids once the groups are known.
 */
const exampleRange = (filter = '', alias = '') => {
  const where = filter ? ` FILTER (WHERE ${filter})` : '';
  return `min(${alias}id)${where} AS first_id, max(${alias}id)${where} AS last_id`;
};
/** The example event ids of a group row `g` (read by primary key). */
const exampleIds = (g: string) =>
  `(SELECT json_agg(u.event_id ORDER BY u.id) FROM usage_events u WHERE u.id IN (${g}.first_id, ${g}.last_id)) AS examples`;
/** Two rows of one group key: feature may be null, session too (null matches null). */
const sameKey = (left: string, right: string, columns: readonly string[]) =>
  columns
    .map((column) => `coalesce(${left}.${column}, '') = coalesce(${right}.${column}, '')`)
    .join(' AND ');
const TOKEN_SUMS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
]
  .map((column) => `sum(${column})::text AS ${column}`)
  .join(', ');
const LIMIT = `LIMIT ${WASTE_THRESHOLDS.groupsPerCategory}`;

const params = (window: WasteWindow, ...more: unknown[]) => [
  window.from.toISOString(),
  window.to.toISOString(),
  window.currency,
  ...more,
];

/**
 * MODEL_MISMATCH candidates: per provider, model, feature and batch, the successful priced
 * calls of classification shape with no billed units besides tokens (a cheaper model does not
 * make a web search cheaper, and only tokens are re-priced) — at least `minCalls`, p90 output at most
 * `shortOutputTokens`, output at most `maxOutputShare` of the prompt, prompts under
 * `maxPromptTokens`. Whether a cheaper model exists is decided on the rows (price catalog and
 * downgrade chains). "p90 ≤ n" is tested as "at least 90 % of the calls answer ≤ n tokens",
 * which is the same for `percentile_disc` (the ⌈0.9 × calls⌉-th smallest output is ≤ n) and
 * needs no sort of the outputs.
 */
export function shortOutputGroups(query: Query, window: WasteWindow) {
  const t = WASTE_THRESHOLDS;
  return query(
    `WITH groups AS (
       SELECT provider, model, feature, batch, count(*)::int AS calls, ${ONE_TEAM},
         count(*) FILTER (WHERE output_tokens <= $6)::int AS short_calls,
         max(output_tokens)::text AS max_output, ${TOKEN_SUMS}, sum(cost)::text AS cost,
         max(occurred_at) AS last_at, ${exampleRange()}
       FROM usage_events
       WHERE ${IN_WINDOW} AND status = 'success' AND NOT unpriced AND NOT cache_hit
         AND units = '{}'::jsonb AND feature IS NOT NULL AND ${PROMPT} <= $4
       GROUP BY provider, model, feature, batch
       HAVING count(*) >= $5
         AND count(*) FILTER (WHERE output_tokens <= $6) >= 0.9 * count(*)
         AND sum(output_tokens) <= $7::numeric * sum(${PROMPT})
       ORDER BY sum(cost) DESC, provider, model, feature ${LIMIT}
     )
     SELECT g.*, ${exampleIds('g')} FROM groups g
     ORDER BY g.cost::numeric DESC, g.provider, g.model, g.feature`,
    params(window, t.maxPromptTokens, t.minCalls, t.shortOutputTokens, t.maxOutputShare),
  );
}

/**
 * CONTEXT_BLOAT candidates: per provider, model and feature, successful priced standard
 * (not batch) calls — at least `minCalls`, no cache read at all, average input at least
 * `bloatInputTokens`, and an input size that barely varies (standard deviation at most
 * `bloatVariation` of the average): the same large context sent again and again.
 */
export function repeatedInputGroups(query: Query, window: WasteWindow) {
  const t = WASTE_THRESHOLDS;
  return query(
    `WITH groups AS (
       SELECT provider, model, feature, count(*)::int AS calls, ${ONE_TEAM},
         min(input_tokens)::text AS min_input, max(input_tokens)::text AS max_input,
         round(avg(input_tokens), 2)::text AS avg_input, sum(input_tokens)::text AS input_tokens,
         sum(cost)::text AS cost, max(occurred_at) AS last_at, ${exampleRange()}
       FROM usage_events
       WHERE ${IN_WINDOW} AND status = 'success' AND NOT unpriced AND NOT cache_hit AND NOT batch
         AND feature IS NOT NULL
       GROUP BY provider, model, feature
       HAVING count(*) >= $4 AND sum(cache_read_tokens) = 0 AND avg(input_tokens) >= $5
         AND stddev_pop(input_tokens) <= $6::numeric * avg(input_tokens)
       ORDER BY sum(cost) DESC, provider, model, feature ${LIMIT}
     )
     SELECT g.*, ${exampleIds('g')} FROM groups g
     ORDER BY g.cost::numeric DESC, g.provider, g.model, g.feature`,
    params(window, t.minCalls, t.bloatInputTokens, t.bloatVariation),
  );
}

/**
 * RETRY_WASTE: per provider, model and feature, failed calls (`status` other than success),
 * and retries: successful calls with a `retry_count`, or the success right after a failed
 * call of the same provider, model and feature in the same session (that call's retry; the
 * session's later calls are its own work). The chains are found among the calls of the (few)
 * sessions with a failure, so no query sorts or joins every event.
 */
export function retryGroups(query: Query, window: WasteWindow) {
  const failed = `status <> 'success'`;
  const retried = `status = 'success' AND coalesce(retry_count, 0) > 0`;
  return query(
    `WITH direct AS (
       SELECT provider, model, feature, ${ONE_TEAM}, count(*)::int AS calls,
         count(*) FILTER (WHERE ${failed})::int AS failed_calls,
         coalesce(sum(cost) FILTER (WHERE ${failed}), 0) AS failed_cost,
         count(*) FILTER (WHERE ${retried})::int AS counted_retries,
         coalesce(sum(cost) FILTER (WHERE ${retried}), 0) AS counted_retry_cost,
         coalesce(sum(retry_count), 0)::text AS retries,
         ${exampleRange(`${failed} OR (${retried})`)}
       FROM usage_events
       WHERE ${IN_WINDOW} AND NOT cache_hit
       GROUP BY provider, model, feature
       HAVING count(*) FILTER (WHERE ${failed} OR (${retried})) > 0
       ORDER BY coalesce(sum(cost) FILTER (WHERE ${failed}), 0) DESC, provider, model, feature
       ${LIMIT}
     ), failures AS (
       SELECT provider, model, feature, session
       FROM usage_events
       WHERE ${IN_WINDOW} AND NOT cache_hit AND session IS NOT NULL AND ${failed}
       GROUP BY provider, model, feature, session
     ), ordered AS (
       -- The calls of sessions with a failure, each with the status of the call before it.
       SELECT e.provider, e.model, e.feature, e.session, e.status, e.cost, e.retry_count,
         lag(e.status) OVER (PARTITION BY e.provider, e.model, e.feature, e.session
           ORDER BY e.occurred_at, e.id) AS previous
       FROM usage_events e JOIN failures f ON ${sameKey('f', 'e', ['provider', 'model', 'feature', 'session'])}
       WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.currency = $3 AND NOT e.cache_hit
     ), chained AS (
       -- The success right after a failed call of its session is that call's retry; the
       -- session's later calls are its own work. Those with a retry_count are in direct.
       SELECT provider, model, feature, count(DISTINCT session)::int AS chains,
         count(*) FILTER (WHERE coalesce(retry_count, 0) = 0)::int AS calls,
         coalesce(sum(cost) FILTER (WHERE coalesce(retry_count, 0) = 0), 0) AS cost
       FROM ordered
       WHERE status = 'success' AND previous IS NOT NULL AND previous <> 'success'
       GROUP BY provider, model, feature
     ), errors AS (
       -- Distinct values sort their rows: only the failed calls are read here.
       SELECT provider, model, feature,
         to_json((array_agg(DISTINCT error_type))[1:5]) AS error_types
       FROM usage_events
       WHERE ${IN_WINDOW} AND NOT cache_hit AND ${failed} AND error_type IS NOT NULL
       GROUP BY provider, model, feature
     )
     SELECT d.provider, d.model, d.feature, d.team, d.calls, d.failed_calls,
       d.failed_cost::text AS failed_cost,
       (d.counted_retries + coalesce(c.calls, 0))::int AS retried_calls,
       (d.counted_retry_cost + coalesce(c.cost, 0))::text AS retried_cost,
       d.retries, coalesce(c.chains, 0) AS chains, x.error_types, ${exampleIds('d')}
     FROM direct d
     LEFT JOIN chained c ON ${sameKey('c', 'd', ['provider', 'model', 'feature'])}
     LEFT JOIN errors x ON ${sameKey('x', 'd', ['provider', 'model', 'feature'])}
     ORDER BY d.failed_cost DESC, d.provider, d.model, d.feature`,
    params(window),
  );
}

/**
 * CACHE_MISS: per provider, model and feature, cache writes (5-minute and 1-hour) after which
 * no call of the same session read the cache (calls without a session: no later read by the
 * feature's session-less calls), and the group's hit ratio (cache reads ÷ reads and writes).
 */
export function unreadCacheGroups(query: Query, window: WasteWindow) {
  const key = ['provider', 'model', 'feature', 'session'];
  const cached = `${IN_WINDOW} AND NOT unpriced AND NOT cache_hit`;
  return query(
    `WITH reads AS (
       SELECT provider, model, feature, session, max(occurred_at) AS last_read
       FROM usage_events WHERE ${cached} AND cache_read_tokens > 0
       GROUP BY provider, model, feature, session
     ), writes AS (
       SELECT e.id, e.occurred_at, e.provider, e.model, e.feature, e.team, e.cost,
         e.cache_write_tokens, e.cache_write_1h_tokens,
         (r.last_read IS NULL OR r.last_read <= e.occurred_at) AS unread
       FROM usage_events e LEFT JOIN reads r ON ${sameKey('r', 'e', key)}
       WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.currency = $3 AND NOT e.unpriced
         AND NOT e.cache_hit AND e.cache_write_tokens + e.cache_write_1h_tokens > 0
     ), groups AS (
       SELECT provider, model, feature, ${ONE_TEAM}, count(*)::int AS write_calls,
         count(*) FILTER (WHERE unread)::int AS unread_calls,
         coalesce(sum(cache_write_tokens) FILTER (WHERE unread), 0)::text AS unread_5m,
         coalesce(sum(cache_write_1h_tokens) FILTER (WHERE unread), 0)::text AS unread_1h,
         coalesce(sum(cost) FILTER (WHERE unread), 0)::text AS unread_cost,
         max(occurred_at) FILTER (WHERE unread) AS last_at, ${exampleRange('unread')}
       FROM writes
       GROUP BY provider, model, feature
       HAVING count(*) FILTER (WHERE unread) > 0
       ORDER BY coalesce(sum(cost) FILTER (WHERE unread), 0) DESC, provider, model, feature
       ${LIMIT}
     ), totals AS (
       SELECT e.provider, e.model, e.feature, sum(e.cache_read_tokens)::text AS reads,
         sum(e.cache_write_tokens + e.cache_write_1h_tokens)::text AS writes
       FROM usage_events e JOIN groups g ON ${sameKey('g', 'e', ['provider', 'model', 'feature'])}
       WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.currency = $3 AND NOT e.unpriced
         AND NOT e.cache_hit
         AND e.cache_read_tokens + e.cache_write_tokens + e.cache_write_1h_tokens > 0
       GROUP BY e.provider, e.model, e.feature
     )
     SELECT g.*, t.reads, t.writes, ${exampleIds('g')}
     FROM groups g JOIN totals t ON ${sameKey('t', 'g', ['provider', 'model', 'feature'])}
     ORDER BY g.unread_cost::numeric DESC, g.provider, g.model, g.feature`,
    params(window),
  );
}

/** The usage_events column of a scope key (`user` is stored as `user_id`). */
const columnOfKey = (key: string) => (key === 'user' ? 'user_id' : key);
/** True for an event (alias e) that budget b's scope covers: every key of the scope matches. */
const BUDGET_COVERS = SCOPE_KEYS.map(
  (key) => `(b.scope->>'${key}' IS NULL OR b.scope->>'${key}' = e.${columnOfKey(key)})`,
).join(' AND ');

/**
 * UNGOVERNED_KEY: spend no live budget's scope covers (in the report's currency: a EUR budget
 * governs no USD spend), per team and feature. The events are
 * summed per attribution first, so each budget is tested once a combination, not once a call.
 */
export function unbudgetedGroups(query: Query, window: WasteWindow) {
  return query(
    `WITH combinations AS (
       SELECT team, feature, environment, customer, project, user_id, agent, virtual_key,
         count(*) AS calls, sum(cost) AS cost, min(id) AS first_id, max(id) AS last_id
       FROM usage_events
       WHERE ${IN_WINDOW} AND cost > 0
       GROUP BY team, feature, environment, customer, project, user_id, agent, virtual_key
     ), groups AS (
       SELECT team, feature, sum(calls)::int AS calls, sum(cost)::text AS cost,
         count(DISTINCT environment)::int AS environments, min(first_id) AS first_id,
         max(last_id) AS last_id
       FROM combinations e
       WHERE NOT EXISTS (SELECT 1 FROM budgets b
         WHERE b.deleted_at IS NULL AND b.currency = $3 AND ${BUDGET_COVERS})
       GROUP BY team, feature
       ORDER BY sum(cost) DESC, team, feature ${LIMIT}
     )
     SELECT g.*, ${exampleIds('g')} FROM groups g
     ORDER BY g.cost::numeric DESC, g.team, g.feature`,
    params(window),
  );
}

/** Environments that are not production (compared lower case). */
export const NON_PRODUCTION_ENVIRONMENTS = [
  'development',
  'dev',
  'staging',
  'stage',
  'test',
  'testing',
  'qa',
  'sandbox',
  'local',
] as const;

/**
 * UNGOVERNED_KEY: usage in a non-production environment on a production virtual key (one
 * bound to environment production/prod, or, with no environment, named "prod…").
 */
export function crossEnvironmentGroups(query: Query, window: WasteWindow) {
  return query(
    `WITH groups AS (
       SELECT e.virtual_key, vk.name AS key_name, e.environment, count(*)::int AS calls,
         sum(e.cost)::text AS cost,
         CASE WHEN count(e.team) = count(*) AND min(e.team) = max(e.team) THEN min(e.team) END AS team,
         ${exampleRange('', 'e.')}
       FROM usage_events e JOIN virtual_keys vk ON vk.id::text = e.virtual_key
       WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.currency = $3
         AND lower(e.environment) = ANY($4::text[])
         AND (lower(vk.attribution->>'environment') IN ('production', 'prod')
           OR (vk.attribution->>'environment' IS NULL AND vk.name ~* '(^|[^a-z])prod'))
       GROUP BY e.virtual_key, vk.name, e.environment
       ORDER BY sum(e.cost) DESC, e.virtual_key, e.environment ${LIMIT}
     )
     SELECT g.*, ${exampleIds('g')} FROM groups g
     ORDER BY g.cost::numeric DESC, g.virtual_key, g.environment`,
    params(window, [...NON_PRODUCTION_ENVIRONMENTS]),
  );
}

/**
 * UNGOVERNED_KEY: agents with no per-run cap — no live velocity limit on cost or tokens kept
 * per agent or per session (a velocity limit applies to every value of its scope key, so one
 * caps every agent's runs; a limit on requests caps no spend), no live budget scoped to the
 * agent. A run is a session (a call without one is a
 * run of its own); the suggested cap is the `runCapPercentile` run cost (an actual run's).
 */
export function uncappedAgentGroups(query: Query, window: WasteWindow) {
  return query(
    `WITH runs AS (
       SELECT agent, coalesce(session, 'event:' || event_id) AS run, sum(cost) AS run_cost,
         count(*) AS calls, min(team) AS min_team, max(team) AS max_team,
         count(team) AS teamed
       FROM usage_events e
       WHERE ${IN_WINDOW} AND agent IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM velocity_limits v
           WHERE v.deleted_at IS NULL AND v.scope IN ('agent', 'session')
             AND v.metric IN ('cost', 'tokens'))
         AND NOT EXISTS (SELECT 1 FROM budgets b
           WHERE b.deleted_at IS NULL AND b.scope->>'agent' = e.agent)
       GROUP BY agent, coalesce(session, 'event:' || event_id)
     ), caps AS (
       SELECT agent, percentile_disc($4) WITHIN GROUP (ORDER BY run_cost) AS cap
       FROM runs GROUP BY agent
     )
     SELECT r.agent, count(*)::int AS runs, sum(r.calls)::int AS calls,
       sum(r.run_cost)::text AS cost, c.cap::text AS cap, max(r.run_cost)::text AS max_run,
       sum(greatest(r.run_cost - c.cap, 0))::text AS above_cap,
       CASE WHEN sum(r.teamed) = sum(r.calls) AND min(r.min_team) = max(r.max_team)
         THEN min(r.min_team) END AS team,
       to_json((array_agg(r.run ORDER BY r.run_cost DESC, r.run))[1:3]) AS examples
     FROM runs r JOIN caps c ON c.agent = r.agent
     GROUP BY r.agent, c.cap
     HAVING sum(r.run_cost) > 0
     ORDER BY sum(greatest(r.run_cost - c.cap, 0)) DESC, sum(r.run_cost) DESC, r.agent ${LIMIT}`,
    params(window, WASTE_THRESHOLDS.runCapPercentile),
  );
}
