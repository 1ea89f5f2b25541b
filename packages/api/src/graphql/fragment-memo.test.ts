import { parse, type FragmentDefinitionNode } from 'graphql';
import { fragmentMemo } from './fragment-memo';

describe('fragmentMemo', () => {
  it('should measure each fragment once, however often it is spread', () => {
    const document = parse('fragment A on Query { a } fragment B on Query { b c } { ...A }');
    const measured: string[] = [];
    const size = fragmentMemo(document, (fragment) => {
      measured.push(fragment.name.value);
      return fragment.selectionSet.selections.length;
    });
    expect([size('A'), size('B'), size('A'), size('B')]).toEqual([1, 2, 1, 2]);
    expect(measured).toEqual(['A', 'B']);
  });

  it('should measure an unknown fragment and a spread inside its own measure (a cycle) as 0', () => {
    const document = parse('fragment A on Query { ...A } { ...A }');
    const inner: number[] = [];
    const depth = fragmentMemo(document, (_fragment: FragmentDefinitionNode) => {
      inner.push(depth('A'));
      return 1 + inner[inner.length - 1]!;
    });
    expect(depth('A')).toBe(1);
    expect(inner).toEqual([0]);
    expect(depth('Missing')).toBe(0);
  });
});
