/**
 * The rows of an `UPDATE … RETURNING` or `DELETE … RETURNING` run through TypeORM's
 * `query()`. For those commands the Postgres driver answers `[rows, affectedCount]` instead
 * of the rows, so `result.length` would always be 2 and `row.id` undefined; SELECT and
 * INSERT answer the rows themselves. Accepts both shapes.
 */
export function returningRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}
