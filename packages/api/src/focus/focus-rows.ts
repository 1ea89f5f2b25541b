import { Money, TOKENS_PER_QUOTE, type MoneyValue } from '@purser/pricing';
import { focusColumns, type FocusColumn, type FocusVersion } from './focus-columns';

/**
 * One export row before it is written: a UTC day × provider × model × price line (token type
 * at one unit price of one price card) × attribution × cost center, with its share of the
 * cost and of the quantity.
 */
export interface FocusLine {
  day: Date;
  provider: string;
  model: string;
  /** The attribution the usage carried (and tags rules match), keys as the API names them. */
  attribution: Record<string, string>;
  /** A billed token key (`input_tokens`…) or a unit name (`web_search_requests`). */
  key: string;
  priceCardId: string | null;
  /** The price of one token or unit, as priced (a plain decimal string). */
  unitPrice: string;
  quantity: MoneyValue;
  cost: MoneyValue;
  requests: number;
  /** Null: no allocation rule took this usage. */
  costCenter: string | null;
  currency: string;
}

/** Who the provider is, as a person reads it (unknown ids are shown as they are). */
const DISPLAY_NAMES: Record<string, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  google: 'Google',
  bedrock: 'AWS',
  azure: 'Microsoft',
  mistral: 'Mistral AI',
  xai: 'xAI',
  deepseek: 'DeepSeek',
  cohere: 'Cohere',
  groq: 'Groq',
  together: 'Together AI',
  fireworks: 'Fireworks AI',
  perplexity: 'Perplexity',
  openrouter: 'OpenRouter',
  deepinfra: 'DeepInfra',
  cerebras: 'Cerebras',
  moonshot: 'Moonshot AI',
  ai21: 'AI21 Labs',
  databricks: 'Databricks',
  sagemaker: 'AWS',
  ollama: 'Ollama',
};

export function providerDisplayName(provider: string): string {
  return Object.hasOwn(DISPLAY_NAMES, provider) ? DISPLAY_NAMES[provider] : provider;
}

const TOKEN_METERS: Record<string, string> = {
  input_tokens: 'Input Tokens',
  cache_read_tokens: 'Cache Read Tokens',
  cache_write_tokens: 'Cache Write Tokens',
  cache_write_1h_tokens: 'Cache Write 1h Tokens',
  output_tokens: 'Output Tokens',
  reasoning_tokens: 'Reasoning Tokens',
};

const isTokenKey = (key: string) => Object.hasOwn(TOKEN_METERS, key);
/** `input_tokens` → `input`; a unit name stays as it is. */
const tokenType = (key: string) => (isTokenKey(key) ? key.replace(/_tokens$/, '') : key);

const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');
const plain = (value: MoneyValue) => value.toFixed();

function monthOf(day: Date): [Date, Date] {
  const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
  const end = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1));
  return [start, end];
}

/** The columns every row of a provider's day has: account, periods, provider and service. */
function dayValues(
  provider: string,
  day: Date,
  currency: string,
): Partial<Record<FocusColumn, string>> {
  const name = providerDisplayName(provider);
  const [billingStart, billingEnd] = monthOf(day);
  return {
    BillingAccountId: 'purser',
    BillingAccountName: 'Purser',
    BillingCurrency: currency,
    BillingPeriodStart: iso(billingStart),
    BillingPeriodEnd: iso(billingEnd),
    ChargePeriodStart: iso(day),
    ChargePeriodEnd: iso(new Date(day.getTime() + 86_400_000)),
    ChargeFrequency: 'Usage-Based',
    ProviderName: name,
    PublisherName: name,
    InvoiceIssuerName: name,
    ServiceProviderName: name,
    HostProviderName: name,
    ServiceName: `${name} API`,
    ServiceCategory: 'AI and Machine Learning',
    ServiceSubcategory: 'Generative AI',
  };
}

/**
 * The FOCUS values of a line (columns absent from the result are null). Purser's cost is an
 * estimate at the price card's price, so BilledCost = EffectiveCost = ContractedCost =
 * ListCost = the priced cost and `x_CostSource` says `estimate`; a reconciled day's variance
 * comes as true-up rows ({@link focusTrueUpValues}).
 */
export function focusValues(line: FocusLine): Partial<Record<FocusColumn, string>> {
  const token = isTokenKey(line.key);
  const type = tokenType(line.key);
  const skuId = `${line.provider}/${line.model}/${type}`;
  const unitPrice = new Money(line.unitPrice);
  // Token prices are quoted per million tokens (the price card's unit); units per unit.
  const perQuote = token ? unitPrice.times(TOKENS_PER_QUOTE) : unitPrice;
  const pricingQuantity = token ? line.quantity.dividedBy(TOKENS_PER_QUOTE) : line.quantity;
  const cost = plain(line.cost);
  const tags: Record<string, string> = { ...line.attribution };
  if (line.costCenter !== null) tags.cost_center = line.costCenter;
  const project = line.attribution.project;
  return {
    BilledCost: cost,
    EffectiveCost: cost,
    ContractedCost: cost,
    ListCost: cost,
    ...dayValues(line.provider, line.day, line.currency),
    ChargeCategory: 'Usage',
    ChargeDescription: `${line.model} ${token ? TOKEN_METERS[line.key].toLowerCase() : type}`,
    ConsumedQuantity: plain(line.quantity),
    ConsumedUnit: token ? 'Tokens' : 'Units',
    PricingQuantity: plain(pricingQuantity),
    PricingUnit: token ? '1000000 Tokens' : 'Units',
    ListUnitPrice: plain(perQuote),
    ContractedUnitPrice: plain(perQuote),
    PricingCategory: 'Standard',
    SkuId: skuId,
    SkuPriceId: `${skuId}/${line.priceCardId ?? 'unpriced'}`,
    SkuMeter: token ? TOKEN_METERS[line.key] : type,
    SkuPriceDetails: JSON.stringify({ x_Model: line.model, x_TokenType: type }),
    ...(project === undefined
      ? {}
      : { SubAccountId: project, SubAccountName: project, SubAccountType: 'Project' }),
    Tags: JSON.stringify(tags),
    x_CostCenter: line.costCenter ?? undefined,
    x_CostSource: 'estimate',
    x_PriceCardId: line.priceCardId ?? undefined,
    x_Requests: String(line.requests),
    x_TokenType: type,
    x_Model: line.model,
  };
}

/** A true-up row: a cost center's part of a day's variance against the provider's bill. */
export interface FocusTrueUp {
  day: Date;
  provider: string;
  /** As reconciliation names it; null for the day's non-token charges (fees, tools). */
  model: string | null;
  costCenter: string | null;
  amount: MoneyValue;
  currency: string;
}

/**
 * The FOCUS values of a true-up: an `Adjustment` (no SKU, no unit price, a pricing quantity
 * of 0: the tokens are in the day's usage rows) whose
 * BilledCost = EffectiveCost is the variance, so a reconciled day's rows sum to the bill.
 * ListCost and ContractedCost are 0: the list-priced usage is in the day's usage rows.
 */
export function focusTrueUpValues(line: FocusTrueUp): Partial<Record<FocusColumn, string>> {
  const name = providerDisplayName(line.provider);
  const amount = plain(line.amount);
  const tags: Record<string, string> = {};
  if (line.costCenter !== null) tags.cost_center = line.costCenter;
  const what = line.model === null ? 'non-token charges' : line.model;
  return {
    BilledCost: amount,
    EffectiveCost: amount,
    ContractedCost: '0',
    ListCost: '0',
    ...dayValues(line.provider, line.day, line.currency),
    ChargeCategory: 'Adjustment',
    ChargeDescription: `True-up to the ${name} bill: ${what}`,
    // No quantity of its own; 0 rather than null, which the 1.2 rule model's
    // PricingQuantity-C-008-M refuses on any row (the spec lets an adjustment's be null).
    PricingQuantity: '0',
    PricingUnit: line.model === null ? 'Units' : '1000000 Tokens',
    Tags: JSON.stringify(tags),
    x_CostCenter: line.costCenter ?? undefined,
    x_CostSource: 'true-up',
    x_Model: line.model ?? undefined,
  };
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(value: string | undefined): string {
  if (value === undefined) return '';
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A record of fields, CRLF-terminated. */
export function csvRecord(fields: readonly (string | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** Writes lines of one version: the header once, then one record per line. */
export class FocusCsvWriter {
  readonly columns: readonly FocusColumn[];

  constructor(version: FocusVersion) {
    this.columns = focusColumns(version);
  }

  header(): string {
    return csvRecord(this.columns);
  }

  record(line: FocusLine): string {
    const values = focusValues(line);
    return csvRecord(this.columns.map((column) => values[column]));
  }

  trueUp(line: FocusTrueUp): string {
    const values = focusTrueUpValues(line);
    return csvRecord(this.columns.map((column) => values[column]));
  }
}
