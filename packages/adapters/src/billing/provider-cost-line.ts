import type { BilledTokenKey } from '@purser/pricing';

/**
 * The token bucket a provider's line bills, in Purser's canonical usage vocabulary
 * (`input_tokens`, `cache_read_tokens`, `cache_write_tokens`, `cache_write_1h_tokens`,
 * `output_tokens`), so that a cost line and priced usage meet on the same key.
 */
export type BillingTokenType = BilledTokenKey;

/**
 * What a line charges for. `tokens` lines carry a {@link ProviderCostLine.tokenType} where the
 * provider splits by it; the rest are the provider's non-token charges (web search, code
 * execution…), reported apart because Purser's usage events do not price them all.
 */
export type BillingCostType = 'tokens' | 'web_search' | 'code_execution' | 'other';

/**
 * One line of a provider's bill, normalized: what a billing adapter returns, and what
 * reconciliation compares with Purser's own priced usage.
 */
export interface ProviderCostLine {
  /** UTC day the cost was incurred on, `YYYY-MM-DD`. */
  readonly day: string;
  /**
   * Canonical provider id of whoever served the model (`openai`, `anthropic`, `bedrock`,
   * `azure`, `google`…), as `canonicalProvider` of `@purser/pricing` names it.
   */
  readonly provider: string;
  /** The model exactly as billed (`gpt-4.1-2025-04-14`), or null for non-model charges. */
  readonly model: string | null;
  /**
   * The provider's own name of the line: OpenAI's `line_item`, Anthropic's `description`
   * (else its `cost_type`), a FOCUS file's `SkuPriceId`/`SkuId`/`ChargeDescription`.
   */
  readonly lineItem: string;
  /** What the line charges for. */
  readonly costType: BillingCostType;
  /** The canonical token bucket billed, when the provider splits by token type. */
  readonly tokenType: BillingTokenType | null;
  /**
   * The provider's project or workspace (OpenAI `project_id`, Anthropic `workspace_id`, a
   * cloud's sub-account); null for the organization's default project or workspace.
   */
  readonly project: string | null;
  /** Amount billed, a plain decimal string in major units (`"6.209044"` dollars). */
  readonly amount: string;
  /** ISO 4217 currency of {@link amount}, upper case (`USD`). */
  readonly currency: string;
  /** Quantity billed as a plain decimal string, when the provider says. */
  readonly quantity: string | null;
  /** Unit of {@link quantity} as the provider names it (`tokens`, `1000_tokens`, `requests`). */
  readonly unit: string | null;
  /**
   * Further dimensions the provider splits by (service tier, context window, region, how a
   * FOCUS row's model was read: `model_source`), string values only. Part of the line's key.
   */
  readonly dimensions: Readonly<Record<string, string>>;
  /**
   * The provider's raw result or row, for audit and re-conversion. JSON numbers of an API
   * result are kept as strings of their exact source text (`"6.209044"`), never as floats;
   * a FOCUS row is an object of its columns (null for `NULL`).
   */
  readonly raw: unknown;
}

/**
 * A stable identity of a cost line: two lines with the same key are the same charge (a
 * provider restating a day returns the same key with a new amount). Built from the day,
 * provider, project, line item, model, token type and the sorted dimensions.
 */
export function providerCostLineKey(line: ProviderCostLine): string {
  const dimensions = Object.keys(line.dimensions)
    .sort()
    .map((key) => [key, line.dimensions[key]!]);
  return JSON.stringify([
    line.day,
    line.provider,
    line.project,
    line.lineItem,
    line.model,
    line.tokenType,
    dimensions,
  ]);
}
