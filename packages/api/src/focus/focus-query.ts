import { badInput } from '../errors';
import { refuseUnknown, shown, single } from '../http/query-parameters';
import { FOCUS_VERSIONS, type FocusVersion } from './focus-columns';

/** The checked parameters of a FOCUS export. */
export interface FocusQuery {
  /** Whole UTC days: `from` inclusive, `to` exclusive. */
  from: Date;
  to: Date;
  version: FocusVersion;
  currency: string;
}

const DAY_MS = 86_400_000;
/** The longest range one export covers (about three years, like the chargeback). */
export const MAX_FOCUS_DAYS = 1_100;
const PARAMETERS = ['from', 'to', 'version', 'currency'];
/** `2026-11-01` or a date-time at a UTC midnight (`2026-11-01T00:00:00Z`, `…00:00:00.000Z`). */
const DAY = /^(\d{4})-(\d{2})-(\d{2})(?:T00:00(?::00(?:\.0{1,3})?)?(?:Z|[+-]00:00))?$/;
const CURRENCY = /^[A-Za-z]{3}$/;

/** A whole UTC day, as a date or a date-time at midnight UTC; anything else names `name`. */
export function parseDay(name: string, value: string | null): Date {
  if (value === null) throw badInput(`${name}: required, a UTC day such as 2026-11-01`);
  const match = DAY.exec(value);
  const day = match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])) : null;
  if (
    !match ||
    !day ||
    Number(match[1]) < 1970 ||
    day.getUTCFullYear() !== +match[1] ||
    day.getUTCMonth() !== +match[2] - 1 ||
    day.getUTCDate() !== +match[3]
  ) {
    throw badInput(
      `${name}: must be a UTC day such as 2026-11-01 (or its midnight, 2026-11-01T00:00:00Z), got ${shown(value)}`,
    );
  }
  return day;
}

/**
 * Checks `from`, `to` (whole UTC days, `to` later, at most {@link MAX_FOCUS_DAYS} apart),
 * `version` (`1.2` or `1.3`, default `1.3`) and `currency` (default `USD`). Unknown parameters
 * are refused by name. Work is linear in the query's size.
 */
export function parseFocusQuery(query: Record<string, unknown>): FocusQuery {
  refuseUnknown(query, PARAMETERS, 'parameter');
  const from = parseDay('from', single(query, 'from'));
  const to = parseDay('to', single(query, 'to'));
  if (to.getTime() <= from.getTime()) throw badInput('to: must be later than from');
  if (to.getTime() - from.getTime() > MAX_FOCUS_DAYS * DAY_MS) {
    throw badInput(`to: an export covers at most ${MAX_FOCUS_DAYS} days`);
  }
  const versionText = single(query, 'version') ?? '1.3';
  if (!(FOCUS_VERSIONS as readonly string[]).includes(versionText)) {
    throw badInput(`version: must be 1.2 or 1.3, got ${shown(versionText)}`);
  }
  const currencyText = single(query, 'currency') ?? 'USD';
  if (!CURRENCY.test(currencyText)) {
    throw badInput(`currency: must be a 3-letter ISO code, got ${shown(currencyText)}`);
  }
  return {
    from,
    to,
    version: versionText as FocusVersion,
    currency: currencyText.toUpperCase(),
  };
}
