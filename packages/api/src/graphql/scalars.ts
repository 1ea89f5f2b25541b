import { GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTime, GraphQLJSONObject } from 'graphql-scalars';

const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/;

/**
 * Money and prices as decimal strings, never floats. Input accepts a string (or an integer
 * literal, whose text is exact); output is always a string.
 */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number as a string, e.g. "0.0000025"; money is always a Decimal.',
  serialize(value) {
    if (typeof value === 'string' && DECIMAL_PATTERN.test(value)) return value;
    if (value && typeof value === 'object' && 'toFixed' in value)
      return (value as { toFixed(): string }).toFixed();
    throw new TypeError(`Decimal cannot represent ${JSON.stringify(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && DECIMAL_PATTERN.test(value.trim())) return value.trim();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new TypeError(
      `Decimal must be a decimal string such as "12.50" (got ${JSON.stringify(value)})`,
    );
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && DECIMAL_PATTERN.test(ast.value))
      return ast.value;
    throw new TypeError('Decimal must be a decimal string such as "12.50"');
  },
});

/** `DateTime` (RFC 3339) for instants, `JSONObject` for open maps. */
export const DateTimeScalar = GraphQLDateTime;
export const JSONObjectScalar = GraphQLJSONObject;

export const scalarsMap = [{ type: Date, scalar: DateTimeScalar }];
