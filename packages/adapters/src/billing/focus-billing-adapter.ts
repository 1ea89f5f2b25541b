import { formatDecimal, Money } from '@purser/pricing';

import { AdapterError } from '../errors';
import { previewValue } from '../zod-issues';
import type { BillingAdapterFactoryV1 } from './billing-adapter-factory-v1';
import type { BillingAdapterV1 } from './billing-adapter-v1';
import { WarningList } from './billing-json';
import { type CsvField, readCsvRecords } from './focus-csv';
import type {
  FocusImportOptions,
  FocusImportResult,
  FocusImportSummary,
  FocusSkipReason,
  FocusSource,
} from './focus-import-result';
import type { BillingTokenType, ProviderCostLine } from './provider-cost-line';

/**
 * Hosted model services, by FOCUS `ServiceName`, and the canonical provider of their rows.
 * `ServiceCategory` "AI and Machine Learning" alone is not enough: it also covers ML
 * platforms that bill compute, disks and bandwidth (Azure Machine Learning, SageMaker).
 */
const MODEL_SERVICES: readonly (readonly [RegExp, string])[] = [
  [/bedrock/i, 'bedrock'],
  [/azure openai|openai service|foundry models/i, 'azure'],
  [/vertex ai|generative language api|gemini api/i, 'google'],
];

/** Provider of a 1.1+ row whose `ServiceSubcategory` is "Generative AI", by its provider name. */
const PROVIDER_BY_NAME: Readonly<Record<string, string>> = {
  aws: 'bedrock',
  'amazon web services': 'bedrock',
  microsoft: 'azure',
  azure: 'azure',
  google: 'google',
  'google cloud': 'google',
};

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,2})?$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** A model and token type read from a FOCUS row, with the column it came from. */
export interface FocusModelReading {
  readonly model: string | null;
  readonly tokenType: BillingTokenType | null;
  /** The column the model was read from (`x_Model`, `SkuPriceDetails`, `x_UsageType`…), or `none`. */
  readonly source: string;
}

/** Token type named in a SKU, meter or usage-type text. */
export function tokenTypeOf(text: string): BillingTokenType | null {
  const lower = text.toLowerCase();
  if (/cache[-_ ]?read|cached/.test(lower)) return 'cache_read_tokens';
  if (/cache[-_ ]?write/.test(lower)) {
    return /1[-_ ]?h(ou)?r?\b|1-hour/.test(lower) ? 'cache_write_1h_tokens' : 'cache_write_tokens';
  }
  if (/\b(input|inpt?)\b|-input-/.test(lower)) return 'input_tokens';
  if (/\b(output|outpt?)\b|-output-/.test(lower)) return 'output_tokens';
  return null;
}

/**
 * AWS usage types: `USE1-Claude4.6Opus-input-tokens`, `USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-global-standard`:
 * a region prefix, the model label, then direction, tier and scope suffixes.
 */
const AWS_USAGE_TYPE =
  /^(?:[A-Z]{2,4}\d?-)?(.+?)-(?:mantle-)?(?:input|output|cache-read|cache-write)(?:-input)?-token/i;

/**
 * Meter and SKU names that put the model before the direction: Azure's
 * `gpt-4o-0513 Inp glbl Tokens`, `gpt 4.1 cached Inp glbl Tokens`, Vertex's
 * `Gemini 2.5 Pro Online Prediction Input (text…)`.
 */
const MODEL_THEN_DIRECTION =
  /^(.+?)\s+(?:cached\s+)?(?:(?:online|batch)\s+prediction\s+)?(?:inp|inpt|input|outp|outpt|output)\b/i;

/**
 * AWS price descriptions: `$0.003 per 1K input tokens for Claude 3.5 Sonnet in US East
 * (N. Virginia)` — the model follows "tokens for", the region follows " in ".
 */
const PRICE_DESCRIPTION = /\btokens? for (.{1,100}?)(?:,|\s+in\s+[A-Z]|$)/;

function plausibleModel(text: string): boolean {
  return text.length > 0 && text.length <= 100 && !/[$€£]|\bper\b/i.test(text);
}

/**
 * Reads the model and token type of a FOCUS row, trying in order: an `x_Model` column; the
 * `x_Model`/`Model` key of `SkuPriceDetails` (JSON); an AWS usage type (`x_UsageType`,
 * `SkuMeter`, `SkuId`); an AWS price description (`… per 1K input tokens for <model> in
 * <region>`); a meter or SKU name with the model before the direction (`SkuMeter`,
 * `x_SkuMeterName`, `ChargeDescription`); else `none`. The token type comes from the same texts.
 */
export function readFocusModel(get: (column: string) => string | null): FocusModelReading {
  const texts = ['x_UsageType', 'SkuMeter', 'x_SkuMeterName', 'ChargeDescription', 'SkuId']
    .map((column) => [column, get(column)] as const)
    .filter(
      (entry): entry is readonly [string, string] => entry[1] !== null && entry[1].length <= 1024,
    );
  let tokenType: BillingTokenType | null = null;
  for (const [, text] of texts) {
    tokenType = tokenTypeOf(text);
    if (tokenType !== null) break;
  }
  const explicit = get('x_Model');
  if (explicit !== null && plausibleModel(explicit.trim())) {
    return { model: explicit.trim(), tokenType, source: 'x_Model' };
  }
  const details = get('SkuPriceDetails');
  if (details !== null && details.length <= 16_384) {
    try {
      const parsed = JSON.parse(details) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const record = parsed as Record<string, unknown>;
        const model = record.x_Model ?? record.Model ?? record.model;
        if (typeof model === 'string' && plausibleModel(model.trim())) {
          return { model: model.trim(), tokenType, source: 'SkuPriceDetails' };
        }
      }
    } catch {
      // not JSON: the other columns may still say
    }
  }
  for (const [column, text] of texts) {
    if (column === 'ChargeDescription') continue;
    const match = AWS_USAGE_TYPE.exec(text.trim());
    if (match && plausibleModel(match[1]!)) {
      return { model: match[1]!, tokenType: tokenTypeOf(text) ?? tokenType, source: column };
    }
  }
  const description = get('ChargeDescription');
  const priced = description === null ? null : PRICE_DESCRIPTION.exec(description.trim());
  if (priced && plausibleModel(priced[1]!.trim())) {
    return { model: priced[1]!.trim(), tokenType, source: 'ChargeDescription' };
  }
  for (const [column, text] of texts) {
    const match = MODEL_THEN_DIRECTION.exec(text.trim());
    if (match && plausibleModel(match[1]!.trim())) {
      return { model: match[1]!.trim(), tokenType: tokenTypeOf(text) ?? tokenType, source: column };
    }
  }
  return { model: null, tokenType, source: 'none' };
}

/** `YYYY-MM-DD` (UTC) of a FOCUS date-time; a value without an offset is UTC, as FOCUS requires. */
export function focusDay(value: string): string | null {
  const match = DATE_TIME.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour = '00', minute = '00', second = '00', offset] = match;
  if (offset === undefined || offset === 'Z' || /^[+-]00:?00$/.test(offset)) {
    const date = new Date(`${year}-${month}-${day}T00:00:00Z`);
    if (
      Number.isNaN(date.getTime()) ||
      date.toISOString().slice(0, 10) !== `${year}-${month}-${day}`
    ) {
      return null;
    }
    return `${year}-${month}-${day}`;
  }
  const normalized = offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${normalized}`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 10);
}

/** The provider of a hosted model service row, or why the row is skipped. */
export function classifyFocusRow(
  get: (column: string) => string | null,
): { provider: string } | { skip: FocusSkipReason } {
  const service = get('ServiceName') ?? '';
  for (const [pattern, provider] of MODEL_SERVICES) {
    if (pattern.test(service)) return { provider };
  }
  if (get('ServiceSubcategory') === 'Generative AI') {
    const name = (get('ServiceProviderName') ?? get('ProviderName') ?? '').trim().toLowerCase();
    return { provider: PROVIDER_BY_NAME[name] ?? (name === '' ? 'unknown' : name) };
  }
  return get('ServiceCategory') === 'AI and Machine Learning'
    ? { skip: 'ai_service_not_model_hosting' }
    : { skip: 'not_model_service' };
}

function versionOf(header: ReadonlySet<string>): FocusImportSummary['version'] {
  if (header.has('ServiceProviderName') || header.has('HostProviderName')) return '1.3';
  if (header.has('ServiceSubcategory') || header.has('SkuMeter') || header.has('SkuPriceDetails')) {
    return '1.1-1.2';
  }
  return '1.0';
}

function decimalOrNull(value: string | null): string | null {
  if (value === null || value.length > 64 || !DECIMAL.test(value.trim())) return null;
  return formatDecimal(new Money(value.trim()));
}

/** What {@link importFocusFile} calls with each line when streaming instead of collecting. */
export interface FocusImportStreamOptions extends FocusImportOptions {
  /** Called with each cost line as it is read; the result's `lines` then stays empty. */
  readonly onLine?: (line: ProviderCostLine) => void | Promise<void>;
}

/**
 * Imports a cloud's FOCUS export (CSV, FOCUS 1.0 to 1.3): rows of hosted model services
 * (Amazon Bedrock, Azure OpenAI, Vertex AI, or any 1.1+ row whose `ServiceSubcategory` is
 * "Generative AI") become provider cost lines; every other row is counted and skipped.
 * The source is read chunk by chunk; give `onLine` to stream the lines out too.
 */
export async function importFocusFile(
  source: FocusSource,
  options: FocusImportStreamOptions = {},
): Promise<FocusImportResult> {
  const costColumn = options.costColumn ?? 'BilledCost';
  const warnings = new WarningList(options.maxWarnings ?? 100);
  const lines: ProviderCostLine[] = [];
  const skippedByReason: Record<FocusSkipReason, number> = {
    not_model_service: 0,
    ai_service_not_model_hosting: 0,
    invalid_row: 0,
  };
  let columns: Map<string, number> | undefined;
  let headerNames: string[] = [];
  let version: FocusImportSummary['version'] = '1.0';
  let rows = 0;
  let withoutModel = 0;
  /** AI-category services skipped, with their row counts: a model service missing from the list shows here. */
  const aiServicesSkipped = new Map<string, number>();

  for await (const { record, line } of readCsvRecords(source, {
    maxRecordChars: options.maxRecordChars,
  })) {
    if (columns === undefined) {
      headerNames = record.map((name) => (name ?? '').trim());
      columns = new Map();
      headerNames.forEach((name, index) => {
        if (name !== '' && !columns!.has(name)) columns!.set(name, index);
      });
      const missing = ['ServiceName', 'ChargePeriodStart', 'BillingCurrency', costColumn].filter(
        (name) => !columns!.has(name),
      );
      if (missing.length > 0) {
        throw new AdapterError({
          code: 'INVALID_BILLING_FILE',
          message:
            `FOCUS file: missing column(s) ${missing.join(', ')} in the header ` +
            `(found ${headerNames.slice(0, 12).join(', ')}${headerNames.length > 12 ? ', …' : ''})`,
        });
      }
      version = versionOf(new Set(columns.keys()));
      continue;
    }
    rows += 1;
    if (record.length !== headerNames.length) {
      skippedByReason.invalid_row += 1;
      warnings.add(
        `line ${line}: ${record.length} fields, the header has ${headerNames.length}; row skipped`,
      );
      continue;
    }
    const index = columns;
    const get = (column: string): string | null => {
      const at = index.get(column);
      return at === undefined ? null : (record[at] ?? null);
    };
    const kind = classifyFocusRow(get);
    if ('skip' in kind) {
      skippedByReason[kind.skip] += 1;
      if (kind.skip === 'ai_service_not_model_hosting') {
        const service = (get('ServiceName') ?? '(no ServiceName)').slice(0, 100);
        if (aiServicesSkipped.has(service) || aiServicesSkipped.size < 20) {
          aiServicesSkipped.set(service, (aiServicesSkipped.get(service) ?? 0) + 1);
        }
      }
      continue;
    }
    const amount = decimalOrNull(get(costColumn));
    const currency = get('BillingCurrency');
    const day = focusDay(get('ChargePeriodStart') ?? '');
    if (amount === null || currency === null || !CURRENCY.test(currency.trim()) || day === null) {
      skippedByReason.invalid_row += 1;
      const problem =
        amount === null
          ? `${costColumn} ${previewValue(get(costColumn))} is not a decimal`
          : day === null
            ? `ChargePeriodStart ${previewValue(get('ChargePeriodStart'))} is not a date-time`
            : `BillingCurrency ${previewValue(currency)} is not ISO 4217`;
      warnings.add(`line ${line}: ${problem}; model service row skipped`);
      continue;
    }
    const tags = get('Tags');
    if (tags !== null && tags.trim() !== '') {
      let ok = false;
      try {
        const parsed = JSON.parse(tags) as unknown;
        ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
      } catch {
        ok = false;
      }
      if (!ok) warnings.add(`line ${line}: Tags is not a JSON object; kept as text in raw`);
    }
    const reading = readFocusModel(get);
    if (reading.model === null) withoutModel += 1;
    const consumed = decimalOrNull(get('ConsumedQuantity'));
    const pricing = decimalOrNull(get('PricingQuantity'));
    const dimensions: Record<string, string> = {
      model_source: reading.source,
      service: get('ServiceName') ?? '',
      charge_period_start: (get('ChargePeriodStart') ?? '').trim(),
    };
    for (const [column, key] of [
      ['ChargeCategory', 'charge_category'],
      ['RegionId', 'region'],
      ['ResourceId', 'resource_id'],
      ['PricingCategory', 'pricing_category'],
    ] as const) {
      const value = get(column);
      if (value !== null && value !== '') dimensions[key] = value;
    }
    // fromEntries defines own properties: a column named __proto__ stays a column.
    const raw: Record<string, CsvField> = Object.fromEntries(
      headerNames.map((name, at) => [name, record[at] ?? null]),
    );
    const costLine: ProviderCostLine = {
      day,
      provider: kind.provider,
      model: reading.model,
      lineItem:
        get('SkuPriceId') ?? get('SkuId') ?? get('ChargeDescription') ?? get('ServiceName') ?? '',
      costType: reading.tokenType === null ? 'other' : 'tokens',
      tokenType: reading.tokenType,
      project: get('SubAccountId'),
      amount,
      currency: currency.trim().toUpperCase(),
      quantity: consumed ?? pricing,
      unit: consumed !== null ? get('ConsumedUnit') : pricing !== null ? get('PricingUnit') : null,
      dimensions,
      raw,
    };
    if (options.onLine) await options.onLine(costLine);
    else lines.push(costLine);
  }
  if (columns === undefined) {
    throw new AdapterError({
      code: 'INVALID_BILLING_FILE',
      message: 'FOCUS file: empty (no header row)',
    });
  }
  if (aiServicesSkipped.size > 0) {
    const services = [...aiServicesSkipped].map(([service, count]) => `${service} (${count})`);
    warnings.add(
      `${skippedByReason.ai_service_not_model_hosting} "AI and Machine Learning" row(s) skipped ` +
        `as not a hosted model service: ${services.join(', ')}`,
    );
  }
  const skipped = Object.values(skippedByReason).reduce((sum, count) => sum + count, 0);
  return {
    lines,
    warnings: warnings.toArray(),
    summary: { version, rows, imported: rows - skipped, skipped, skippedByReason, withoutModel },
  };
}

/** A FOCUS file adapter: `doImportFile` reads a cloud's FOCUS CSV export. */
export function createFocusBillingAdapter(): BillingAdapterV1 {
  return {
    specificationVersion: 'v1',
    id: 'focus',
    doImportFile: (source, options) => importFocusFile(source, options),
  };
}

/** Registry record of the FOCUS file adapter. */
export const focusBillingAdapterFactory: BillingAdapterFactoryV1 = {
  specificationVersion: 'v1',
  id: 'focus',
  description:
    'FOCUS 1.0–1.3 CSV exports of the clouds: Amazon Bedrock, Azure OpenAI and Vertex AI rows',
  kind: 'file',
  create: () => createFocusBillingAdapter(),
};
