import { Money, type PriceCard, type PricingCatalog } from '@purser/pricing';
import {
  cacheWritePremium,
  cheaperInChain,
  contextBloatRecoverable,
  decimalText,
  priceTokens,
  ratio,
  type WasteFindingValue,
  WASTE_THRESHOLDS,
} from './waste-rules';

/** A row of one of the waste queries (numbers as text, times as Date or text). */
export type Row = Record<string, unknown>;

/** What turning rows into findings needs besides the rows. */
export interface FindingContext {
  catalog: PricingCatalog;
  /** The downgrade chains of the active policy data, most expensive model first. */
  chains: readonly (readonly string[])[];
  currency: string;
}

const text = (value: unknown): string => (value === null || value === undefined ? '' : `${value}`);
const count = (value: unknown): number => Number(value ?? 0);
const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item) => item !== null).map(String) : [];
const at = (value: unknown): Date => (value instanceof Date ? value : new Date(text(value)));

/** The scope of a row: the dimensions it has, nulls left out. */
function scopeOf(row: Row, keys: readonly string[]): Record<string, string> {
  const scope: Record<string, string> = {};
  for (const key of keys) {
    const value = row[key];
    if (value !== null && value !== undefined) scope[key] = String(value);
  }
  return scope;
}

/** The scope of a finding on calls: the dimensions of a row of usage. */
const USAGE_SCOPE = ['feature', 'team', 'provider', 'model'] as const;

/**
 * Each row with the price card of its model at its last call; a row without one in the
 * report's currency is left out.
 */
function* withPriceCards(rows: Row[], context: FindingContext): Generator<[Row, PriceCard]> {
  for (const row of rows) {
    const match = context.catalog.match(text(row.provider), text(row.model), at(row.last_at));
    if (match !== undefined && match.card.currency === context.currency) yield [row, match.card];
  }
}

const describe = (scope: Record<string, string>) =>
  Object.entries(scope)
    .map(([key, value]) => `${key} ${JSON.stringify(value)}`)
    .join(', ');

/** MODEL_MISMATCH: the same calls priced on the next model of a downgrade chain. */
export function modelMismatchFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  const findings: WasteFindingValue[] = [];
  for (const row of rows) {
    const provider = text(row.provider);
    const when = at(row.last_at);
    const premium = context.catalog.match(provider, text(row.model), when);
    if (premium === undefined) continue;
    const step = cheaperInChain(context.chains, premium.card.model);
    if (step === undefined) continue;
    const cheaper = context.catalog.match(provider, step.cheaper, when);
    if (cheaper === undefined || cheaper.card.currency !== context.currency) continue;
    const batch = row.batch === true;
    const repriced = priceTokens(cheaper.card, row as Record<string, string>, batch);
    if (repriced === undefined) continue;
    const actual = new Money(text(row.cost));
    const recoverable = actual.minus(repriced);
    if (!recoverable.greaterThan(0)) continue;
    const scope = scopeOf(row, USAGE_SCOPE);
    const chain = [premium.card.model, cheaper.card.model];
    findings.push({
      category: 'MODEL_MISMATCH',
      scope,
      spend: decimalText(actual),
      recoverable: decimalText(recoverable),
      currency: context.currency,
      estimate: `the same tokens priced on ${cheaper.card.model} (price card ${cheaper.card.id}${batch ? ', batch prices' : ''}) = ${decimalText(repriced)}, subtracted from the actual cost`,
      evidence: {
        calls: count(row.calls),
        shortOutputShare: ratio(count(row.short_calls), count(row.calls)),
        maxOutputTokens: count(row.max_output),
        outputShareOfPrompt: ratio(
          text(row.output_tokens),
          ['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens']
            .reduce((sum, key) => sum.plus(text(row[key]) || 0), new Money(0))
            .toFixed(),
        ),
        cheaperModel: cheaper.card.model,
        cheaperCost: decimalText(repriced),
        batch,
        downgradeChain: chain,
        exampleEventIds: list(row.examples),
      },
      fix: `Downgrade chain ${JSON.stringify(chain)} (from data.purser.config.downgrade_chains) for ${describe(scope)}: a budget in DOWNGRADE mode scoped to {"feature": ${JSON.stringify(text(row.feature))}} with downgradeChain ${JSON.stringify(chain)}, or have the feature call ${cheaper.card.model}: its answers (90 % or more of them ${WASTE_THRESHOLDS.shortOutputTokens} tokens or fewer) are the short, classification-like kind ${cheaper.card.model} handles.`,
    });
  }
  return findings;
}

/** CONTEXT_BLOAT: the repeated input priced at the model's cache-read rate. */
export function contextBloatFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  const findings: WasteFindingValue[] = [];
  for (const [row, card] of withPriceCards(rows, context)) {
    const calls = count(row.calls);
    const recoverable = contextBloatRecoverable(card, calls, text(row.min_input));
    if (recoverable === undefined || !recoverable.greaterThan(0)) continue;
    const scope = scopeOf(row, USAGE_SCOPE);
    findings.push({
      category: 'CONTEXT_BLOAT',
      scope,
      spend: decimalText(text(row.cost)),
      recoverable: decimalText(recoverable),
      currency: context.currency,
      estimate: `(calls − 1) × smallest input (${text(row.min_input)} tokens, the part every call repeats) × (input rate − cache-read rate) of price card ${card.id}`,
      evidence: {
        calls,
        averageInputTokens: decimalText(text(row.avg_input)),
        minInputTokens: count(row.min_input),
        maxInputTokens: count(row.max_input),
        cacheReadTokens: 0,
        exampleEventIds: list(row.examples),
      },
      fix: `Cache the repeated context of ${describe(scope)}: put the stable part first and mark it cacheable (provider prompt caching), so calls after the first read it at the cache-read rate.`,
    });
  }
  return findings;
}

/** RETRY_WASTE: failed calls are recoverable; retries are the spend they drag along. */
export function retryFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  return rows.map((row) => {
    const failed = new Money(text(row.failed_cost));
    const retried = new Money(text(row.retried_cost));
    const scope = scopeOf(row, USAGE_SCOPE);
    return {
      category: 'RETRY_WASTE',
      scope,
      spend: decimalText(failed.plus(retried)),
      recoverable: decimalText(failed),
      currency: context.currency,
      estimate:
        'the cost of the failed calls (paid for no answer); the retries that followed are in spend, not in recoverable',
      evidence: {
        calls: count(row.calls),
        failedCalls: count(row.failed_calls),
        failedCost: decimalText(failed),
        retriedCalls: count(row.retried_calls),
        retriedCost: decimalText(retried),
        retries: count(row.retries),
        sessionChains: count(row.chains),
        failureRatio: ratio(count(row.failed_calls), count(row.calls)),
        errorTypes: list(row.error_types),
        exampleEventIds: list(row.examples),
      },
      fix: `Stop paying for failures of ${describe(scope)}: retry only retryable errors with backoff, and cap a run's retries with a velocity limit (scope "session", metric REQUESTS); fix the failing call (${list(row.error_types).join(', ') || 'no error type reported'}).`,
    };
  });
}

/** CACHE_MISS: the write premium of cache writes nobody read back. */
export function cacheMissFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  const findings: WasteFindingValue[] = [];
  for (const [row, card] of withPriceCards(rows, context)) {
    const premium = cacheWritePremium(card, text(row.unread_5m), text(row.unread_1h));
    if (premium === undefined) continue;
    const scope = scopeOf(row, USAGE_SCOPE);
    findings.push({
      category: 'CACHE_MISS',
      scope,
      spend: decimalText(text(row.unread_cost)),
      recoverable: decimalText(premium),
      currency: context.currency,
      estimate: `unread cache-write tokens × (cache-write rate − input rate) of price card ${card.id}: the premium paid for writes no later call read`,
      evidence: {
        writeCalls: count(row.write_calls),
        unreadWriteCalls: count(row.unread_calls),
        unreadCacheWriteTokens: count(row.unread_5m),
        unreadCacheWrite1hTokens: count(row.unread_1h),
        cacheReadTokens: count(row.reads),
        cacheWriteTokens: count(row.writes),
        hitRatio: ratio(
          text(row.reads),
          new Money(text(row.reads)).plus(text(row.writes)).toFixed(),
        ),
        exampleEventIds: list(row.examples),
      },
      fix: `Stop writing caches nobody reads for ${describe(scope)}: mark as cacheable only the prefix later calls of the session repeat, keep that prefix byte-identical, or drop cache_control where each call is a one-off.`,
    });
  }
  return findings;
}

/** UNGOVERNED_KEY: spend under no budget. Nothing is recoverable until a budget is set. */
export function unbudgetedFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  return rows.map((row) => {
    const scope = scopeOf(row, ['team', 'feature']);
    const budgetScope = Object.keys(scope).length > 0 ? scope : {};
    return {
      category: 'UNGOVERNED_KEY',
      scope,
      spend: decimalText(text(row.cost)),
      recoverable: '0',
      currency: context.currency,
      estimate: 'none: spend under no budget is a risk, not yet a loss (0)',
      evidence: {
        kind: 'no_budget',
        calls: count(row.calls),
        environments: count(row.environments),
        exampleEventIds: list(row.examples),
      },
      fix: `Create a budget scoped to ${JSON.stringify(budgetScope)} (createBudget, mode ALERT_ONLY to start), so this spend has an owner and a limit.`,
    };
  });
}

/** UNGOVERNED_KEY: non-production usage on a production virtual key. */
export function crossEnvironmentFindings(
  rows: Row[],
  context: FindingContext,
): WasteFindingValue[] {
  return rows.map((row) => {
    const scope = scopeOf(row, ['virtual_key', 'environment', 'team']);
    return {
      category: 'UNGOVERNED_KEY',
      scope,
      spend: decimalText(text(row.cost)),
      recoverable: '0',
      currency: context.currency,
      estimate: 'none: the spend is real; the risk is that it counts against production (0)',
      evidence: {
        kind: 'environment_on_production_key',
        keyName: text(row.key_name),
        calls: count(row.calls),
        exampleEventIds: list(row.examples),
      },
      fix: `A key per environment: create a virtual key bound to {"environment": ${JSON.stringify(text(row.environment))}} for this usage and keep "${text(row.key_name)}" for production.`,
    };
  });
}

/** UNGOVERNED_KEY: an agent with no per-run cap; recoverable is the spend above a cap. */
export function uncappedAgentFindings(rows: Row[], context: FindingContext): WasteFindingValue[] {
  const percentile = Math.round(WASTE_THRESHOLDS.runCapPercentile * 100);
  return rows.map((row) => {
    const scope = scopeOf(row, ['agent', 'team']);
    const cap = decimalText(text(row.cap));
    return {
      category: 'UNGOVERNED_KEY',
      scope,
      spend: decimalText(text(row.cost)),
      recoverable: decimalText(text(row.above_cap)),
      currency: context.currency,
      estimate: `Σ over runs of max(0, run cost − suggested cap ${cap}), the cap being the p${percentile} run cost (a run is a session)`,
      evidence: {
        kind: 'agent_without_run_cap',
        runs: count(row.runs),
        calls: count(row.calls),
        suggestedRunCap: cap,
        largestRun: decimalText(text(row.max_run)),
        exampleRuns: list(row.examples),
      },
      fix: `Cap each run of agent ${JSON.stringify(text(row.agent))}: a velocity limit (scope "session", metric COST, limit ${cap}) or a budget scoped to {"agent": ${JSON.stringify(text(row.agent))}}.`,
    };
  });
}
