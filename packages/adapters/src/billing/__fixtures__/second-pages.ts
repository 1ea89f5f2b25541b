/**
 * Second pages built from the provider fixtures, for pagination tests: the fixtures are one
 * page each (`has_more: true`), so page 2 is made here. OpenAI's page 2 is 2026-07-03 in
 * the OLDER field set (costs without `quantity`/`quantity_unit`; usage without
 * `input_cache_write_tokens`, `input_uncached_tokens`, the text/image splits and
 * `service_tier`), with the same numbers as 2026-07-01. Anthropic's page 2 is 2026-07-03
 * with the same numbers as 2026-07-01 plus newer fields a parser must ignore.
 */
import anthropicCostReport from './anthropic-cost-report.json';
import anthropicUsageReport from './anthropic-usage-report.json';
import openaiCosts from './openai-costs.json';
import openaiUsage from './openai-usage-completions.json';

/** Seconds of 2026-07-03T00:00:00Z. */
const JULY_3 = 1783036800;

const NEW_USAGE_FIELDS = [
  'input_cache_write_tokens',
  'input_uncached_tokens',
  'input_text_tokens',
  'output_text_tokens',
  'input_cached_text_tokens',
  'input_cached_audio_tokens',
  'input_image_tokens',
  'input_cached_image_tokens',
  'output_image_tokens',
  'service_tier',
];

function without(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

/** OpenAI page 2 of a report: 2026-07-01's results dated 2026-07-03, without `olderLacks`. */
function openaiPage2(
  report: { data: { results: Record<string, unknown>[] }[] },
  olderLacks: readonly string[],
): unknown {
  return {
    object: 'page',
    data: [
      {
        object: 'bucket',
        start_time: JULY_3,
        end_time: JULY_3 + 86400,
        results: report.data[0]!.results.map((result) => without(result, olderLacks)),
      },
    ],
    has_more: false,
    next_page: null,
  };
}

/** OpenAI Costs page 2: 2026-07-01's results dated 2026-07-03, older field set, last page. */
export function openaiCostsPage2(): unknown {
  return openaiPage2(openaiCosts, ['quantity', 'quantity_unit']);
}

/** OpenAI completions Usage page 2: 2026-07-01's results dated 2026-07-03, older field set. */
export function openaiUsagePage2(): unknown {
  return openaiPage2(openaiUsage, NEW_USAGE_FIELDS);
}

/** Anthropic page 2 of a report: 2026-07-01's results dated 2026-07-03, with newer fields. */
function anthropicPage2(report: { data: { results: Record<string, unknown>[] }[] }): unknown {
  return {
    data: [
      {
        starting_at: '2026-07-03T00:00:00Z',
        ending_at: '2026-07-04T00:00:00Z',
        results: report.data[0]!.results.map((result) => ({
          ...result,
          account_id: null,
          speed: null,
          a_field_from_the_future: { nested: true },
        })),
      },
    ],
    has_more: false,
    next_page: null,
  };
}

/** Anthropic cost report page 2. */
export function anthropicCostPage2(): unknown {
  return anthropicPage2(anthropicCostReport);
}

/** Anthropic usage report page 2. */
export function anthropicUsagePage2(): unknown {
  return anthropicPage2(anthropicUsageReport);
}
