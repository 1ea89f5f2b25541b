import { providerCostLineKey, type ProviderCostLine } from '@purser/adapters';
import { Money } from '@purser/pricing';
import type { DataSource } from 'typeorm';
import { returningRows } from '../db/returning';
import { badInput } from '../errors';

/** What storing a set of lines did. */
export interface StoreCounts {
  /** Lines not stored before. */
  linesImported: number;
  /** Lines stored before with the same amount and quantity: nothing written. */
  linesUnchanged: number;
  /** Lines stored before with another amount or quantity: replaced, the old amount kept. */
  linesRestated: number;
}

const CHUNK = 500;

/**
 * Lines with the same key in one fetch are one charge split by a dimension Purser did not
 * group by (an API key): summed, so a fetch is stored as one row per key. Lines of one key
 * in two currencies are refused (BAD_USER_INPUT naming the line), never added together.
 */
export function mergeByKey(lines: readonly ProviderCostLine[]): Map<string, ProviderCostLine> {
  const merged = new Map<string, ProviderCostLine>();
  for (const line of lines) {
    const key = providerCostLineKey(line);
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, line);
      continue;
    }
    if (seen.currency !== line.currency) {
      throw badInput(
        `cost line ${line.day} ${line.provider} ${JSON.stringify(line.lineItem.slice(0, 200))}: billed in both ${seen.currency} and ${line.currency}; one charge cannot add two currencies`,
      );
    }
    merged.set(key, {
      ...seen,
      amount: new Money(seen.amount).plus(line.amount).toFixed(),
      quantity:
        seen.quantity !== null && line.quantity !== null
          ? new Money(seen.quantity).plus(line.quantity).toFixed()
          : (seen.quantity ?? line.quantity),
    });
  }
  return merged;
}

/**
 * Upserts a source's cost lines by (source, line key) in chunks: a new key is inserted; a
 * known one with the same amount and quantity is left alone; a known one with a new amount
 * replaces it, keeping `previous_amount` and stamping `restated_at`.
 */
export async function storeCostLines(
  dataSource: DataSource,
  sourceId: string,
  lines: readonly ProviderCostLine[],
): Promise<StoreCounts> {
  const merged = [...mergeByKey(lines)];
  const counts: StoreCounts = { linesImported: 0, linesUnchanged: 0, linesRestated: 0 };
  for (let start = 0; start < merged.length; start += CHUNK) {
    const chunk = merged.slice(start, start + CHUNK);
    const column = (pick: (line: ProviderCostLine, key: string) => unknown) =>
      chunk.map(([key, line]) => pick(line, key));
    const rows: { inserted: boolean }[] = await dataSource.query(
      `INSERT INTO provider_cost_lines AS l (source_id, line_key, day, provider, model, line_item,
         cost_type, token_type, project, amount, currency, quantity, unit, dimensions, raw)
       SELECT $1, k, d::date, p, m, li, ct, tt, pr, a::numeric, c, q::numeric, u, dim::jsonb, r::jsonb
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
         $15::text[]) AS t(k, d, p, m, li, ct, tt, pr, a, c, q, u, dim, r)
       ON CONFLICT (source_id, line_key) DO UPDATE SET
         amount = EXCLUDED.amount, quantity = EXCLUDED.quantity, unit = EXCLUDED.unit,
         currency = EXCLUDED.currency, raw = EXCLUDED.raw,
         previous_amount = l.amount, restated_at = now()
       WHERE l.amount <> EXCLUDED.amount OR l.quantity IS DISTINCT FROM EXCLUDED.quantity
         OR l.currency <> EXCLUDED.currency
       RETURNING (l.restated_at IS NULL) AS inserted`,
      [
        sourceId,
        column((_, key) => key),
        column((line) => line.day),
        column((line) => line.provider),
        column((line) => line.model),
        column((line) => line.lineItem),
        column((line) => line.costType),
        column((line) => line.tokenType),
        column((line) => line.project),
        column((line) => line.amount),
        column((line) => line.currency),
        column((line) => line.quantity),
        column((line) => line.unit),
        column((line) => JSON.stringify(line.dimensions)),
        column((line) => (line.raw === undefined ? null : JSON.stringify(line.raw))),
      ],
    );
    const inserted = rows.filter((row) => row.inserted).length;
    counts.linesImported += inserted;
    counts.linesRestated += rows.length - inserted;
    counts.linesUnchanged += chunk.length - rows.length;
  }
  return counts;
}

/**
 * Lines of a source on the days a fetch covered whole that the fetch no longer returned: the
 * provider withdrew them (a cost report lists non-zero charges only). Each is restated to
 * 0, keeping its previous amount, so the change is visible and reconciliation sees it.
 * `keys` are the fetched lines' keys; days are `YYYY-MM-DD`, `untilDay` exclusive.
 */
export async function withdrawMissingLines(
  dataSource: DataSource,
  sourceId: string,
  fromDay: string,
  untilDay: string,
  keys: readonly string[],
): Promise<number> {
  if (fromDay >= untilDay) return 0;
  const result: unknown = await dataSource.query(
    `UPDATE provider_cost_lines SET previous_amount = amount, amount = 0, restated_at = now()
     WHERE source_id = $1 AND day >= $2::date AND day < $3::date AND amount <> 0
       AND NOT (line_key = ANY($4::text[]))
     RETURNING line_key`,
    [sourceId, fromDay, untilDay, keys],
  );
  return returningRows(result).length;
}
