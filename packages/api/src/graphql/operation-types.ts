import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * A validation rule refusing an operation whose root type the schema does not have (a
 * `subscription` here). graphql-js 16 leaves it to execution, whose error carries no code and
 * would be answered as an internal error; graphql-js 17 makes it a validation rule too.
 */
export function knownOperationTypes(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (context.getSchema().getRootType(node.operation)) return;
      context.reportError(
        new GraphQLError(
          `This API has no ${node.operation} type: ${node.operation} operations are not supported`,
          { nodes: [node] },
        ),
      );
    },
  };
}
