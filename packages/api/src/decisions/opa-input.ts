import { ATTRIBUTION_KEYS, type AttributionKey, isPlainObject } from '@purser/adapters';
import { z } from 'zod';

/** A request names its attribution; the virtual key travels beside it, as `virtual_key`. */
const REQUEST_ATTRIBUTION_KEYS = ATTRIBUTION_KEYS.filter(
  (key): key is Exclude<AttributionKey, 'virtual_key'> => key !== 'virtual_key',
);

const attributionSchema = z
  .object(
    Object.fromEntries(REQUEST_ATTRIBUTION_KEYS.map((key) => [key, z.string()])) as Record<
      (typeof REQUEST_ATTRIBUTION_KEYS)[number],
      z.ZodString
    >,
  )
  .partial();

/** OPA's Data API input, in the snake_case of the decision contract. */
export const opaInputSchema = z.object({
  input: z.object({
    provider: z.string().min(1),
    model: z.string().min(1),
    attribution: attributionSchema.default({}),
    virtual_key: z.string().min(1).optional(),
    estimated_input_tokens: z.number().int().nonnegative(),
    max_output_tokens: z.number().int().nonnegative(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type OpaInput = z.output<typeof opaInputSchema>;

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The fast path of `opaInputSchema.safeParse` for the bodies gateways send: exactly the
 * schema's output (unknown keys left out, as the schema strips them), or `undefined` as soon
 * as anything is unusual — a wrong type, an explicit `undefined`, a `__proto__` key, a
 * non-plain object. The schema then has the last word and words the error.
 */
export function fastOpaInput(body: unknown): OpaInput | undefined {
  if (!isPlainObject(body)) return undefined;
  const input = body.input;
  if (!isPlainObject(input) || Object.hasOwn(input, '__proto__')) return undefined;
  const { provider, model, virtual_key, estimated_input_tokens, max_output_tokens, metadata } =
    input;
  if (!isText(provider) || !isText(model)) return undefined;
  if (!isCount(estimated_input_tokens) || !isCount(max_output_tokens)) return undefined;
  const attribution: OpaInput['input']['attribution'] = {};
  if ('attribution' in input) {
    const given = input.attribution;
    if (!isPlainObject(given) || Object.hasOwn(given, '__proto__')) return undefined;
    for (const key of REQUEST_ATTRIBUTION_KEYS) {
      if (!(key in given)) continue;
      const value = given[key];
      if (typeof value !== 'string') return undefined;
      attribution[key] = value;
    }
  }
  const parsed: OpaInput['input'] = { provider, model, attribution } as OpaInput['input'];
  if ('virtual_key' in input) {
    if (!isText(virtual_key)) return undefined;
    parsed.virtual_key = virtual_key;
  }
  parsed.estimated_input_tokens = estimated_input_tokens;
  parsed.max_output_tokens = max_output_tokens;
  if ('metadata' in input) {
    if (!isPlainObject(metadata) || Object.hasOwn(metadata, '__proto__')) return undefined;
    const copy: Record<string, unknown> = {};
    for (const key in metadata) {
      const value = metadata[key];
      if (value === undefined) return undefined;
      copy[key] = value;
    }
    parsed.metadata = copy;
  }
  return { input: parsed };
}
