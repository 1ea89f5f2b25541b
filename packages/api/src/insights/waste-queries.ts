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
/** A few event ids of the group, oldest first, as evidence. */
const examples = (filter = '') =>
  `to_json((array_agg(event_id ORDER BY occurred_at, id)${filter ? ` FILTER (WHERE ${filter})` : ''})[1:3]) AS examples`;
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
 * calls of classification shape — at least `minCalls`, p90 output at most
 * `shortOutputTokens`, output at most `maxOutputShare` of the prompt, prompts under
 * `maxPromptTokens`. Whether a cheaper model exists is decided on the rows (price catalog and
 * downgrade chains).
 */
export function shortOutputGroups(query: Query, window: WasteWindow) {
  const t = WASTE_THRESHOLDS;
  return query(
    `SELECT provider, model, feature, batch, count(*)::int AS calls, ${ONE_TEAM},
       percentile_disc(0.9) WITHIN GROUP (ORDER BY output_tokens)::text AS p90_output,
       ${TOKEN_SUMS}, sum(cost)::text AS cost, max(occurred_at) AS last_at, ${examples()}
     FROM usage_events
     WHERE ${IN_WINDOW} AND status = 'success' AND NOT unpriced AND NOT cache_hit
       AND feature IS NOT NULL AND ${PROMPT} <= $4
     GROUP BY provider, model, feature, batch
     HAVING count(*) >= $5
       AND percentile_disc(0.9) WITHIN GROUP (ORDER BY output_tokens) <= $6
       AND sum(output_tokens) <= $7::numeric * sum(${PROMPT})
     ORDER BY sum(cost) DESC, provider, model, feature ${LIMIT}`,
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
    `SELECT provider, model, feature, count(*)::int AS calls, ${ONE_TEAM},
       min(input_tokens)::text AS min_input, max(input_tokens)::text AS max_input,
       round(avg(input_tokens), 2)::text AS avg_input, sum(input_tokens)::text AS input_tokens,
       sum(cost)::text AS cost, max(occurred_at) AS last_at, ${examples()}
     FROM usage_events
     WHERE ${IN_WINDOW} AND status = 'success' AND NOT unpriced AND NOT cache_hit AND NOT batch
       AND feature IS NOT NULL
     GROUP BY provider, model, feature
     HAVING count(*) >= $4 AND sum(cache_read_tokens) = 0 AND avg(input_tokens) >= $5
       AND stddev_pop(input_tokens) <= $6::numeric * avg(input_tokens)
     ORDER BY sum(cost) DESC, provider, model, feature ${LIMIT}`,
    params(window, t.minCalls, t.bloatInputTokens, t.bloatVariation),
  );
}

/**
 * RETRY_WASTE: per provider, model and feature, failed calls (`status` other than success),
 * and retries: successful calls with a `retry_count`, or following a failed call of the same
 * provider, model and feature in the same session (a session chain of one request).
 */
export function retryGroups(query: Query, window: WasteWindow) {
  const retried = `status = 'success' AND (coalesce(retry_count, 0) > 0 OR after_failure)`;
  return query(
    `WITH calls AS (
       SELECT id, event_id, occurred_at, provider, model, feature, team, session, status,
         error_type, retry_count, cost,
         session IS NOT NULL AND coalesce(bool_or(status <> 'success') OVER (
           PARTITION BY provider, model, feature, session ORDER BY occurred_at, id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS after_failure
       FROM usage_events WHERE ${IN_WINDOW} AND NOT cache_hit
     )
     SELECT provider, model, feature, ${ONE_TEAM}, count(*)::int AS calls,
       count(*) FILTER (WHERE status <> 'success')::int AS failed_calls,
       coalesce(sum(cost) FILTER (WHERE status <> 'success'), 0)::text AS failed_cost,
       count(*) FILTER (WHERE ${retried})::int AS retried_calls,
       coalesce(sum(cost) FILTER (WHERE ${retried}), 0)::text AS retried_cost,
       coalesce(sum(retry_count), 0)::text AS retries,
       count(DISTINCT session) FILTER (WHERE after_failure AND status = 'success')::int AS chains,
       to_json((array_agg(DISTINCT error_type) FILTER (WHERE error_type IS NOT NULL))[1:5]) AS error_types,
       sum(cost)::text AS cost,
       ${examples(`status <> 'success' OR (${retried})`)}
     FROM calls
     GROUP BY provider, model, feature
     HAVING count(*) FILTER (WHERE status <> 'success' OR (${retried})) > 0
     ORDER BY coalesce(sum(cost) FILTER (WHERE status <> 'success'), 0) DESC, provider, model, feature
     ${LIMIT}`,
    params(window),
  );
}

/**
 * CACHE_MISS: per provider, model and feature, cache writes (5-minute and 1-hour) that no
 * later call of the same session read (calls without a session: of the feature), and the
 * group's hit ratio (cache reads ÷ cache reads and writes).
 */
export function unreadCacheGroups(query: Query, window: WasteWindow) {
  const unread = `(last_read IS NULL OR last_read <= occurred_at) AND writes > 0`;
  return query(
    `WITH calls AS (
       SELECT id, event_id, occurred_at, provider, model, feature, team, cost,
         cache_read_tokens, cache_write_tokens, cache_write_1h_tokens,
         cache_write_tokens + cache_write_1h_tokens AS writes,
         max(occurred_at) FILTER (WHERE cache_read_tokens > 0)
           OVER (PARTITION BY provider, model, feature, session) AS last_read
       FROM usage_events WHERE ${IN_WINDOW} AND NOT unpriced AND NOT cache_hit
     )
     SELECT provider, model, feature, ${ONE_TEAM},
       count(*) FILTER (WHERE writes > 0)::int AS write_calls,
       count(*) FILTER (WHERE ${unread})::int AS unread_calls,
       coalesce(sum(cache_write_tokens) FILTER (WHERE ${unread}), 0)::text AS unread_5m,
       coalesce(sum(cache_write_1h_tokens) FILTER (WHERE ${unread}), 0)::text AS unread_1h,
       coalesce(sum(cost) FILTER (WHERE ${unread}), 0)::text AS unread_cost,
       sum(cache_read_tokens)::text AS reads, sum(writes)::text AS writes,
       max(occurred_at) FILTER (WHERE ${unread}) AS last_at,
       ${examples(unread)}
     FROM calls
     GROUP BY provider, model, feature
     HAVING count(*) FILTER (WHERE ${unread}) > 0
     ORDER BY coalesce(sum(cost) FILTER (WHERE ${unread}), 0) DESC, provider, model, feature
     ${LIMIT}`,
    params(window),
  );
}

/** The usage_events column of a scope key (`user` is stored as `user_id`). */
const columnOfKey = (key: string) => (key === 'user' ? 'user_id' : key);
/** True for an event (alias e) that budget b's scope covers: every key of the scope matches. */
const BUDGET_COVERS = SCOPE_KEYS.map(
  (key) => `(b.scope->>'${key}' IS NULL OR b.scope->>'${key}' = e.${columnOfKey(key)})`,
).join(' AND ');

/** UNGOVERNED_KEY: spend no live budget's scope covers, per team and feature. */
export function unbudgetedGroups(query: Query, window: WasteWindow) {
  return query(
    `SELECT team, feature, count(*)::int AS calls, sum(cost)::text AS cost,
       count(DISTINCT environment)::int AS environments, ${examples()}
     FROM usage_events e
     WHERE ${IN_WINDOW} AND cost > 0
       AND NOT EXISTS (SELECT 1 FROM budgets b WHERE b.deleted_at IS NULL AND ${BUDGET_COVERS})
     GROUP BY team, feature
     ORDER BY sum(cost) DESC, team, feature ${LIMIT}`,
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
    `SELECT e.virtual_key, vk.name AS key_name, e.environment, count(*)::int AS calls,
       sum(e.cost)::text AS cost, CASE WHEN count(e.team) = count(*) AND min(e.team) = max(e.team) THEN min(e.team) END AS team,
       to_json((array_agg(e.event_id ORDER BY e.occurred_at, e.id))[1:3]) AS examples
     FROM usage_events e JOIN virtual_keys vk ON vk.id::text = e.virtual_key
     WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.currency = $3
       AND lower(e.environment) = ANY($4::text[])
       AND (lower(vk.attribution->>'environment') IN ('production', 'prod')
         OR (vk.attribution->>'environment' IS NULL AND vk.name ~* '(^|[^a-z])prod'))
     GROUP BY e.virtual_key, vk.name, e.environment
     ORDER BY sum(e.cost) DESC, e.virtual_key, e.environment ${LIMIT}`,
    params(window, [...NON_PRODUCTION_ENVIRONMENTS]),
  );
}

/**
 * UNGOVERNED_KEY: agents with no per-run cap — no live velocity limit kept per agent or per
 * session, no live budget scoped to the agent. A run is a session (a call without one is a
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
           WHERE v.deleted_at IS NULL AND v.scope IN ('agent', 'session'))
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
