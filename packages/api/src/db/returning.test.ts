import { returningRows } from './returning';

describe('returningRows', () => {
  it.each([
    ['an UPDATE … RETURNING answer', [[{ id: 'a' }, { id: 'b' }], 2], [{ id: 'a' }, { id: 'b' }]],
    ['an UPDATE that matched nothing', [[], 0], []],
    ['a SELECT answer', [{ id: 'a' }, { id: 'b' }], [{ id: 'a' }, { id: 'b' }]],
    ['an empty SELECT answer', [], []],
  ])('should take the rows from %s', (_name, result, rows) => {
    expect(returningRows(result)).toEqual(rows);
  });
});
