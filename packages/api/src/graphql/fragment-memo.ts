import { Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';

/**
 * A measure of each named fragment of `document` (its depth, its cost), computed once and
 * reused at every spread: re-walking a fragment per spread costs width^levels on a document
 * whose fragments fan out, this keeps a walk linear in the document's size. An unknown
 * fragment, and a spread of a fragment while it is being measured (a cycle, which validation
 * refuses), measure 0.
 */
export function fragmentMemo(
  document: DocumentNode,
  measure: (fragment: FragmentDefinitionNode) => number,
): (name: string) => number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  // A fragment's measure, once known; `null` while it is being computed (a cycle).
  const known = new Map<string, number | null>();
  return (name) => {
    const value = known.get(name);
    if (value !== undefined) return value ?? 0;
    const fragment = fragments.get(name);
    if (!fragment) return 0;
    known.set(name, null);
    const measured = measure(fragment);
    known.set(name, measured);
    return measured;
  };
}
