// The raw HTTP paths (served before Express) against their Express fallbacks: what the
// differential tests of the decision route and of /graphql share.
import type fc from 'fast-check';
import { expectEquivalentAsync } from '@purser/pricing/testing';

/** An answer of either path. Express answers with an ETag, the raw path without one. */
export interface PathAnswer {
  status: number;
  etag: string | null;
  body: Record<string, unknown>;
}

/** How both paths begin a JSON syntax error; each parser words the rest its own way. */
const NOT_JSON = 'Request body is not valid JSON:';

/** Whether `text` is a top-level JSON primitive ("null", "0"): the paths word its refusal apart. */
export function isJsonPrimitive(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value === null || typeof value !== 'object';
  } catch {
    return false;
  }
}

/**
 * Sends each generated text to the raw path (`raw`) and to Express (`express`) and expects
 * the same status and body, once `replace(key, value)` has masked what differs by nature
 * (`undefined` drops the key) and a JSON syntax error is cut to {@link NOT_JSON}. Returns how
 * many texts the raw path itself served (no ETag).
 */
export async function expectRawAsExpress(options: {
  raw: (text: string) => Promise<PathAnswer>;
  express: (text: string) => Promise<PathAnswer>;
  arbitrary: fc.Arbitrary<string>;
  runs: number;
  replace: (key: string, value: unknown) => unknown;
}): Promise<number> {
  const comparable = (answer: PathAnswer) =>
    JSON.parse(
      JSON.stringify({ status: answer.status, body: answer.body }, (key, value: unknown) => {
        const replaced = options.replace(key, value);
        return typeof replaced === 'string' && replaced.startsWith(NOT_JSON) ? NOT_JSON : replaced;
      }),
    ) as unknown;
  const { fast } = await expectEquivalentAsync({
    fast: async (text: string) => {
      const answer = await options.raw(text);
      return answer.etag === null ? comparable(answer) : undefined;
    },
    reference: async (text) => ({ success: true, data: comparable(await options.express(text)) }),
    compare: (raw, express) => expect(raw).toEqual(express),
    arbitrary: options.arbitrary,
    runs: options.runs,
  });
  return fast;
}
