import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { operationCost } from './complexity';
import { fragmentMemo } from './fragment-memo';

/**
 * A validation rule rejecting operations nested deeper than `maxDepth` fields (meta fields
 * such as `__typename` do not count). Linear in the document's size: each fragment's depth is
 * computed once and reused at every spread — re-walking a fragment per spread costs
 * width^levels on a document whose fragments fan out. A fragment cycle adds no depth;
 * NoFragmentCycles refuses it.
 */
export function depthLimit(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragmentDepth = fragmentMemo(context.getDocument(), (fragment) =>
      depthOf(fragment.selectionSet),
    );

    const depthOf = (selectionSet: SelectionSetNode | undefined): number => {
      if (!selectionSet) return 0;
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        let depth: number;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          depth = 1 + depthOf(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet);
        } else {
          depth = fragmentDepth(selection.name.value);
        }
        if (depth > deepest) deepest = depth;
      }
      return deepest;
    };

    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet);
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

/**
 * Refuses an operation whose estimated cost ({@link operationCost}: 1 per field, aliases and
 * `__typename` included, times `first` on lists) is over `maxComplexity`, before it runs.
 * The cost is computed per request in time linear in the document, so nothing is cached:
 * no request leaves anything behind, whatever its variables hold.
 */
export function complexityLimit(
  schema: () => GraphQLSchema,
  maxComplexity: number,
): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          // No such operation: execution answers that, and nothing runs.
          if (!operation) return;
          const complexity = operationCost(schema(), document, operation, request.variables ?? {});
          if (complexity > maxComplexity) {
            const shown = Number.isSafeInteger(complexity)
              ? String(complexity)
              : `over ${Number.MAX_SAFE_INTEGER}`;
            throw new GraphQLError(
              `Query complexity ${shown} exceeds the maximum of ${maxComplexity}`,
              { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } },
            );
          }
        },
      };
    },
  };
}
