/**
 * Display helpers. Money stays a decimal string: it is rounded for display by string
 * arithmetic, never through a JS number.
 */

/** Rounds a decimal string half away from zero to `places` decimals ("12.345" → "12.35"). */
export function roundDecimal(value: string, places = 2): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) return value;
  const [, sign, wholeRaw, fractionRaw = ''] = match;
  const whole = wholeRaw || '0';
  const fraction = fractionRaw.padEnd(places + 1, '0');
  let digits = (whole + fraction.slice(0, places)).split('').map(Number);
  if (Number(fraction[places]) >= 5) {
    let index = digits.length - 1;
    while (index >= 0) {
      if (digits[index] === 9) {
        digits[index] = 0;
        index -= 1;
      } else {
        digits[index] += 1;
        break;
      }
    }
    if (index < 0) digits = [1, ...digits];
  }
  const text = digits.join('');
  const integer = text.slice(0, text.length - places).replace(/^0+(?=\d)/, '');
  const decimals = places > 0 ? `.${text.slice(text.length - places)}` : '';
  const zero = /^[0.]*$/.test(integer + decimals);
  return `${sign && !zero ? '-' : ''}${integer}${decimals}`;
}

/** "1234567.891" → "1,234,567.89" with the currency code: "$" only for USD. */
export function formatMoney(value: string | null | undefined, currency = 'USD'): string {
  if (value === null || value === undefined || value === '') return '—';
  const rounded = roundDecimal(value, 2);
  const negative = rounded.startsWith('-');
  const [integer, decimals] = rounded.replace('-', '').split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const amount = `${grouped}.${decimals}`;
  const signed = negative ? `-${amount}` : amount;
  return currency === 'USD' ? `${negative ? '-' : ''}$${amount}` : `${signed} ${currency}`;
}

/** A date-time as "2026-11-20 14:05 UTC". */
export function formatInstant(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Any JSON value as text: a string as it is, another primitive as `String` writes it, an
 * object or array as JSON. `String` itself throws on an object whose `toString` is not a
 * function (`{"toString": null}`, which a service answer may hold as a dimension's value).
 */
export function jsonText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A JSON object's entries as "team=search, feature=chat" (empty: "everything"). */
export function formatScope(scope: Record<string, unknown> | null | undefined): string {
  const entries = Object.entries(scope ?? {}).filter(([, value]) => value !== null && value !== '');
  if (!entries.length) return 'everything';
  return entries.map(([key, value]) => `${key}=${jsonText(value)}`).join(', ');
}

/** The UTC day (YYYY-MM-DD) of a Date. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The UTC month (YYYY-MM) of a Date. */
export function utcMonth(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/** [from, to) of a UTC month "2026-11" as ISO instants, or null when it is not a month. */
export function monthRange(month: string): { from: string; to: string } | null {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) return null;
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  return {
    from: new Date(Date.UTC(year, index, 1)).toISOString(),
    to: new Date(Date.UTC(year, index + 1, 1)).toISOString(),
  };
}

/** [from, to) covering the UTC days from `fromDay` to `toDay` included, or an error message. */
export function dayRange(
  fromDay: string,
  toDay: string,
): { from: string; to: string } | { error: string } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const from = new Date(`${fromDay}T00:00:00Z`);
  const to = new Date(`${toDay}T00:00:00Z`);
  if (!day.test(fromDay) || Number.isNaN(from.getTime())) return { error: 'From is not a date' };
  if (!day.test(toDay) || Number.isNaN(to.getTime())) return { error: 'To is not a date' };
  if (to < from) return { error: 'To is before From' };
  return { from: from.toISOString(), to: new Date(to.getTime() + 86_400_000).toISOString() };
}
