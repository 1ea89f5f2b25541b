import { canonicalProvider, TOKEN_KEYS, type Usage } from '@purser/pricing';
import {
  convertProviderUsage,
  DEFAULT_USAGE_FORMAT_BY_PROVIDER,
  isUsageFormat,
  type UsageFormat,
} from '../convert-usage';
import { PurserClientError } from './errors';

/** The usage format a provider's responses carry, unless the caller says otherwise. */
export function defaultUsageFormat(provider: string): UsageFormat {
  return DEFAULT_USAGE_FORMAT_BY_PROVIDER[canonicalProvider(provider)] ?? 'openai';
}

/** The larger of two usages, bucket by bucket (units too). */
export function maxUsage(a: Usage, b: Usage): Usage {
  const out: Usage = {};
  for (const key of TOKEN_KEYS) {
    const value = Math.max(a[key] ?? 0, b[key] ?? 0);
    if (value > 0) out[key] = value;
  }
  const units: Record<string, number> = { ...a.units };
  for (const [unit, value] of Object.entries(b.units ?? {})) {
    units[unit] = Math.max(units[unit] ?? 0, value);
  }
  if (Object.keys(units).length > 0) out.units = units;
  return out;
}

/**
 * What a call consumed, as far as the client has seen: the provider's usage objects (the
 * final response's, or the chunks of a stream) converted by the usage converters and merged
 * bucket by bucket with the largest count kept. Streams report usage cumulatively (OpenAI's
 * final chunk; Anthropic's `message_start` with the input and `message_delta` with the
 * output so far), so the largest count is the latest, and a cut stream's meter holds what
 * was consumed up to the cut.
 */
export class UsageMeter {
  private usage: Usage | null = null;
  private seenModel: string | undefined;
  readonly warnings: string[] = [];

  constructor(private readonly format: UsageFormat) {
    if (!isUsageFormat(format)) {
      throw new PurserClientError({
        code: 'INVALID_ARGUMENT',
        message: `usageFormat: unknown format ${JSON.stringify(format)}`,
      });
    }
  }

  /** Records a usage object in the provider's own shape; throws an `AdapterError` on garbage. */
  observe(raw: unknown, model?: string): void {
    const converted = convertProviderUsage(this.format, raw);
    this.warnings.push(...converted.warnings.slice(0, 10 - this.warnings.length));
    this.observeCanonical(converted.usage, model ?? converted.model);
  }

  /** Records usage already in the canonical vocabulary (a caller counting tokens itself). */
  observeCanonical(usage: Usage, model?: string): void {
    this.usage = this.usage ? maxUsage(this.usage, usage) : { ...usage };
    if (model) this.seenModel = model;
  }

  get observed(): Usage | null {
    return this.usage;
  }

  get model(): string | undefined {
    return this.seenModel;
  }
}
