import fc from 'fast-check';
import { PurserError } from '../errors';
import { checkIntegrationItems, MAX_INTEGRATION_ITEMS } from './integration-ingest';
import { litellmItems } from './litellm.routes';
import { otlpSpans, spanCount } from './otlp-spans';

const refusal = (run: () => unknown): PurserError | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error as PurserError;
  }
};

describe('the item limit of the integration receivers', () => {
  it('should take exactly 10,000 items and refuse 10,001 with PAYLOAD_TOO_LARGE (413)', () => {
    expect(MAX_INTEGRATION_ITEMS).toBe(10_000);
    expect(refusal(() => checkIntegrationItems(10_000, 'spans'))).toBeUndefined();
    const error = refusal(() => checkIntegrationItems(10_001, 'spans'));
    expect(error).toBeInstanceOf(PurserError);
    expect(error?.httpStatus).toBe(413);
    expect(error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error?.message).toBe(
      'at most 10000 spans per request (got 10001); send smaller batches',
    );
    expect(error?.details).toEqual({ limit: 10_000, count: 10_001 });
  });

  it('should read a LiteLLM body of 10,000 payloads, as an array or NDJSON, and refuse one more', () => {
    const array = (count: number) => JSON.stringify(Array.from({ length: count }, () => ({})));
    const ndjson = (count: number) => Array(count).fill('{}').join('\n\n');
    expect(litellmItems(array(10_000))).toHaveLength(10_000);
    expect(litellmItems(ndjson(10_000))).toHaveLength(10_000);
    expect(refusal(() => litellmItems(array(10_001)))?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(refusal(() => litellmItems(ndjson(10_001)))?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('should count the spans of any OTLP/JSON shape as the reader yields them', () => {
    const anything = fc.oneof(fc.constant(null), fc.integer(), fc.string());
    const span = fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, anything);
    const scope = fc.oneof(
      { weight: 4, arbitrary: fc.record({ spans: fc.oneof(fc.array(span), anything) }) },
      anything,
    );
    const resource = fc.oneof(
      { weight: 4, arbitrary: fc.record({ scopeSpans: fc.oneof(fc.array(scope), anything) }) },
      anything,
    );
    const request = fc.oneof(
      { weight: 4, arbitrary: fc.record({ resourceSpans: fc.array(resource) }) },
      anything,
    );
    fc.assert(
      fc.property(request, (body) => {
        // Every entry of a spans list is counted; the reader skips those that are no object.
        const yielded = [...otlpSpans(body)].length;
        expect(spanCount(body)).toBeGreaterThanOrEqual(yielded);
        const objectsOnly = JSON.parse(
          JSON.stringify(body, (_key, value: unknown) =>
            Array.isArray(value)
              ? value.filter((item) => item !== null && typeof item === 'object')
              : value,
          ),
        ) as unknown;
        expect(spanCount(objectsOnly)).toBe([...otlpSpans(objectsOnly)].length);
      }),
    );
  });
});
