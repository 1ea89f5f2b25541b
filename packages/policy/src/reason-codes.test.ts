import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { isReasonCode, REASON_CODES } from './reason-codes';

describe('REASON_CODES', () => {
  // policies/REASONS.md is the one human-readable definition; this keeps the constant honest.
  const table = readFileSync(resolve(__dirname, '../../../policies/REASONS.md'), 'utf8')
    .split('\n')
    .map((line) => /^\|\s*`([a-z_]+)`\s*\|\s*`([a-z]+)`\s*\|/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => [match[1], match[2]]);

  it('should list exactly the codes of policies/REASONS.md with the same actions', () => {
    expect(table.length).toBeGreaterThan(0);
    expect(Object.entries(REASON_CODES).sort()).toEqual([...table].sort());
  });

  it.each([
    ['budget_exceeded', true],
    ['rate_limited', true],
    ['budget-exceeded', false],
    ['toString', false],
  ])('should tell whether %s is a reason code', (code, expected) => {
    expect(isReasonCode(code)).toBe(expected);
  });
});
