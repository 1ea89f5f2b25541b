import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type DocumentNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

/** A validation rule rejecting operations nested deeper than `maxDepth` fields. */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments.set(definition.name.value, definition);
    }
    const depthOf = (
      selectionSet: SelectionSetNode | undefined,
      depth: number,
      seen: Set<string>,
    ): number => {
      if (!selectionSet) return depth;
      let deepest = depth;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          deepest = Math.max(deepest, depthOf(selection.selectionSet, depth + 1, seen));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, depth, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) {
            deepest = Math.max(
              deepest,
              depthOf(fragment.selectionSet, depth, new Set([...seen, name])),
            );
          }
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, 0, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query depth ${depth} exceeds the maximum of ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP' },
            }),
          );
        }
      },
    };
  };
}

/** Rejects an operation whose estimated cost (1 per field, times `first` on lists) is too high. */
export function complexityLimit(
  schema: () => GraphQLSchema,
  maxComplexity: number,
): ApolloServerPlugin {
  // Apollo hands the same parsed document for the same query text, so the cost of an
  // operation with the same variables is computed once (per schema).
  const known = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, number>>>();
  const cost = (
    current: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown>,
  ): number => {
    let byDocument = known.get(current);
    if (!byDocument) known.set(current, (byDocument = new WeakMap()));
    let byVariables = byDocument.get(document);
    if (!byVariables) byDocument.set(document, (byVariables = new Map()));
    const key = `${operationName ?? ''}\u0000${JSON.stringify(variables)}`;
    let complexity = byVariables.get(key);
    if (complexity === undefined) {
      complexity = computeComplexity(current, document, operationName, variables);
      if (byVariables.size >= 256) byVariables.clear();
      byVariables.set(key, complexity);
    }
    return complexity;
  };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          let complexity: number;
          try {
            complexity = cost(schema(), document, request.operationName, request.variables ?? {});
          } catch {
            // Variables that do not fit the operation: execution refuses them with
            // BAD_USER_INPUT naming the field, and nothing runs.
            return;
          }
          if (complexity > maxComplexity) {
            throw new GraphQLError(
              `Query complexity ${complexity} exceeds the maximum of ${maxComplexity}`,
              {
                extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
              },
            );
          }
        },
      };
    },
  };
}

function computeComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  return getComplexity({
    schema,
    operationName: operationName ?? undefined,
    query: document,
    variables,
    estimators: [
      fieldExtensionsEstimator(),
      ({ args, childComplexity }) => {
        const first = typeof args.first === 'number' ? args.first : 1;
        return childComplexity > 0 ? 1 + childComplexity * Math.max(1, first) : undefined;
      },
      simpleEstimator({ defaultComplexity: 1 }),
    ],
  });
}
