import 'reflect-metadata';
import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { operationCost } from './complexity';
import { DEFAULT_PAGE_SIZE } from './pagination';
import { createSchema } from '../schema';

describe('operationCost', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await createSchema();
  });

  const cost = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION,
    )!;
    return operationCost(schema, document, operation, variables);
  };

  // usageEvents { edges { node { id } } }: 1 + first × (1 + (1 + 1)) = 1 + 3 × first
  it.each<[string, string, Record<string, unknown>, number]>([
    ['a literal first', '{ usageEvents(first: 10) { edges { node { id } } } }', {}, 1 + 3 * 10],
    [
      'first left out: the default page the resolver answers',
      '{ usageEvents { edges { node { id } } } }',
      {},
      1 + 3 * DEFAULT_PAGE_SIZE,
    ],
    [
      'a null literal: the default page',
      '{ usageEvents(first: null) { edges { node { id } } } }',
      {},
      1 + 3 * DEFAULT_PAGE_SIZE,
    ],
    [
      'a variable',
      'query($n: Int) { usageEvents(first: $n) { edges { node { id } } } }',
      { n: 200 },
      1 + 3 * 200,
    ],
    [
      'a variable set to null: the default page',
      'query($n: Int) { usageEvents(first: $n) { edges { node { id } } } }',
      { n: null },
      1 + 3 * DEFAULT_PAGE_SIZE,
    ],
    [
      "a variable's default",
      'query($n: Int = 7) { usageEvents(first: $n) { edges { node { id } } } }',
      {},
      1 + 3 * 7,
    ],
    ["the argument's own default (budgetAlerts: 100)", '{ budgetAlerts { id } }', {}, 1 + 1 * 100],
    ['every alias and __typename', '{ a: __typename b: __typename c: apiKeys { id } }', {}, 4],
  ])('should count %s', (_name, query, variables, expected) => {
    expect(cost(query, variables)).toBe(expected);
  });

  it('should cost each fragment once however often it is spread (linear in the document)', () => {
    // Ten levels, each spreading the next ten times: 10^10 fields if expanded.
    const levels = Array.from({ length: 10 }, (_, level) => {
      const next =
        level === 9 ? '__typename' : Array.from({ length: 10 }, () => `...F${level + 1}`).join(' ');
      return `fragment F${level} on Query { ${next} }`;
    });
    const query = `{ ...F0 } ${levels.join(' ')}`;
    expect(cost(query)).toBe(10 ** 9);
  });
});
