/**
 * Exact sums and comparisons of decimal strings with BigInt: money in the console is never a
 * JS number (a chart's coordinates are, for drawing only).
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function parse(value: string): { units: bigint; scale: number } {
  const match = DECIMAL.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a decimal number`);
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole + fraction);
  return { units: sign ? -units : units, scale: fraction.length };
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? digits.slice(digits.length - scale).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

function aligned(values: string[]): { units: bigint[]; scale: number } {
  const parsed = values.map(parse);
  const scale = Math.max(0, ...parsed.map((item) => item.scale));
  return { units: parsed.map((item) => item.units * 10n ** BigInt(scale - item.scale)), scale };
}

/** The exact sum of decimal strings ("0" for none). */
export function sumDecimals(values: string[]): string {
  const { units, scale } = aligned(values);
  return format(
    units.reduce((total, item) => total + item, 0n),
    scale,
  );
}

/** a − b, exactly. */
export function subtractDecimals(a: string, b: string): string {
  const { units, scale } = aligned([a, b]);
  return format(units[0] - units[1], scale);
}

/** −1, 0 or 1 as a is below, equal to or above b. */
export function compareDecimals(a: string, b: string): number {
  const { units } = aligned([a, b]);
  return units[0] === units[1] ? 0 : units[0] < units[1] ? -1 : 1;
}
