import { withoutNul } from './decision-log';

describe('withoutNul', () => {
  it.each([
    ['a NUL in a value', { team: 'a\u0000b' }, { team: 'a\ufffdb' }],
    ['a NUL in a key', { ['k\u0000']: 1 }, { ['k\ufffd']: 1 }],
    ['an escaped backslash before u0000', { text: '\\u0000' }, { text: '\\u0000' }],
    ['a backslash then a NUL', { text: '\\\u0000' }, { text: '\\\ufffd' }],
  ])('should make %s storable', (_name, value, expected) => {
    expect(JSON.parse(withoutNul(JSON.stringify(value)))).toEqual(expected);
  });
});
