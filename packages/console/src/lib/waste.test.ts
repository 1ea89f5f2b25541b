import fc from 'fast-check';
import {
  CATEGORIES,
  categoryLabel,
  evidenceLabel,
  evidenceLines,
  evidenceValue,
  UNGOVERNED_KINDS,
  wasteMoney,
} from './waste';

describe('waste labels', () => {
  it('should name each of the five categories in words, with a symbol and a tone', () => {
    expect(Object.keys(CATEGORIES).sort()).toEqual([
      'CACHE_MISS',
      'CONTEXT_BLOAT',
      'MODEL_MISMATCH',
      'RETRY_WASTE',
      'UNGOVERNED_KEY',
    ]);
    const texts = Object.values(CATEGORIES).map((label) => label.text);
    const icons = Object.values(CATEGORIES).map((label) => label.icon);
    // Colour is never the only signal: words and symbols tell every category apart.
    expect(new Set(texts).size).toBe(5);
    expect(new Set(icons).size).toBe(5);
    expect(categoryLabel('CONTEXT_BLOAT').text).toBe('Context bloat');
  });

  it('should say which kind of ungoverned spend a finding is', () => {
    for (const [kind, words] of Object.entries(UNGOVERNED_KINDS)) {
      expect(categoryLabel('UNGOVERNED_KEY', { kind }).meaning).toBe(words);
    }
    expect(categoryLabel('UNGOVERNED_KEY', { kind: 'new_kind' }).meaning).toBe('new kind');
    expect(categoryLabel('UNGOVERNED_KEY', {}).meaning).toBe(CATEGORIES.UNGOVERNED_KEY.meaning);
  });

  it('should show an unknown category by its code in words rather than drop it', () => {
    expect(categoryLabel('IDLE_CAPACITY')).toMatchObject({ text: 'idle capacity', icon: '•' });
  });

  it('should label evidence keys in words and values as text', () => {
    expect(evidenceLabel('exampleEventIds')).toBe('example event ids');
    expect(evidenceLabel('unreadCacheWrite1hTokens')).toBe('unread cache write1h tokens');
    expect(evidenceLabel('p90OutputTokens')).toBe('p90 output tokens');
    expect(evidenceLabel('key_name')).toBe('key name');
    expect(evidenceValue(['waste-1', 'waste-20'])).toBe('waste-1, waste-20');
    expect(evidenceValue([])).toBe('none');
    expect(evidenceValue(true)).toBe('yes');
    expect(evidenceValue(null)).toBe('—');
    expect(evidenceValue({ a: 1 })).toBe('{"a":1}');
    expect(evidenceValue('x'.repeat(500))).toHaveLength(240);
    expect(
      evidenceLines({ kind: 'no_budget', calls: 2, hitRatio: '0.5', exampleEventIds: ['e-1'] }),
    ).toEqual([
      ['calls', '2'],
      ['hit ratio', '0.5'],
      ['example event ids', 'e-1'],
    ]);
    expect(evidenceLines(null)).toEqual([]);
  });

  it('should say "< $0.01" for an amount under a cent rather than $0.00', () => {
    expect(wasteMoney('0.00045')).toBe('< $0.01');
    expect(wasteMoney('0.004', 'EUR')).toBe('< 0.01 EUR');
    expect(wasteMoney('0.005')).toBe('$0.01');
    expect(wasteMoney('0')).toBe('$0.00');
    expect(wasteMoney('0.0000')).toBe('$0.00');
    expect(wasteMoney('0.513')).toBe('$0.51');
    expect(wasteMoney('1234.5')).toBe('$1,234.50');
  });

  it('should turn any evidence the service may answer into lines of text, never throwing', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (evidence) => {
        const lines = evidenceLines(evidence);
        expect(lines).toHaveLength(Object.keys(evidence).filter((key) => key !== 'kind').length);
        for (const [label, value] of lines) {
          expect(typeof label).toBe('string');
          expect(typeof value).toBe('string');
          expect(value.length).toBeLessThanOrEqual(240);
          expect(value).not.toContain('[object Object]');
        }
      }),
    );
  });
});
