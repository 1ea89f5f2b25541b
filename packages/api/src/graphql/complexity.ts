import {
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { fragmentMemo } from './fragment-memo';
import { DEFAULT_PAGE_SIZE } from './pagination';

/** The largest value a GraphQL `Int` holds: a `first` past it is refused by coercion, not counted. */
const MAX_INT = 2 ** 31 - 1;

/**
 * The estimated cost of running `operation`: 1 per selected field — every alias and
 * `__typename` included — and a field with a selection set costs
 * `1 + cost(selection set) × max(1, first)`, where `first` is its `first` argument (a
 * literal, a variable, the variable's default, the argument's default, or the default page
 * a list field answers when it is left out).
 *
 * Linear in the document's size whatever it expands to: each fragment's cost is computed
 * once and reused at every spread. `@skip`/`@include` are ignored (the estimate only ever
 * overcounts), and a fragment cycle — which validation refuses — counts nothing more. A
 * `first` that is not a 32-bit integer counts as 1: variable coercion refuses it with
 * BAD_USER_INPUT naming the variable before anything runs. The result may be `Infinity`.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): number {
  const variableDefaults = new Map<string, ValueNode>();
  for (const definition of operation.variableDefinitions ?? []) {
    if (definition.defaultValue)
      variableDefaults.set(definition.variable.name.value, definition.defaultValue);
  }

  const firstOf = (node: FieldNode, field: GraphQLField<unknown, unknown> | undefined) => {
    const argument = node.arguments?.find((candidate) => candidate.name.value === 'first');
    const declared = field?.args.find((candidate) => candidate.name === 'first');
    // A list field whose `first` is left out answers its default page, not one row.
    let value: unknown = declared ? (declared.defaultValue ?? DEFAULT_PAGE_SIZE) : undefined;
    if (argument?.value.kind === Kind.INT) value = Number(argument.value.value);
    else if (argument?.value.kind === Kind.VARIABLE) {
      const name = argument.value.name.value;
      const fallback = variableDefaults.get(name);
      if (Object.hasOwn(variables, name) && variables[name] !== null) value = variables[name];
      else if (fallback?.kind === Kind.INT) value = Number(fallback.value);
    } else if (argument && argument.value.kind !== Kind.NULL) value = undefined;
    return Number.isInteger(value) && Math.abs(value as number) <= MAX_INT
      ? Math.max(1, value as number)
      : 1;
  };

  const selectionSetCost = (
    selectionSet: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
  ): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field =
          isObjectType(parent) || isInterfaceType(parent)
            ? parent.getFields()[selection.name.value]
            : undefined;
        total += selection.selectionSet
          ? 1 +
            selectionSetCost(selection.selectionSet, field && getNamedType(field.type)) *
              firstOf(selection, field)
          : 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        total += selectionSetCost(selection.selectionSet, type);
      } else {
        total += fragmentCost(selection.name.value);
      }
    }
    return total;
  };

  const fragmentCost = fragmentMemo(document, (fragment) =>
    selectionSetCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value)),
  );

  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  return selectionSetCost(operation.selectionSet, root ?? undefined);
}
