import fc from 'fast-check';
import { PurserError } from '../errors';
import { monthOf, scopeKind } from './forecast.service';

const now = new Date('2026-11-10T12:00:00Z');

function errorOf(work: () => unknown): PurserError | undefined {
  try {
    work();
  } catch (error) {
    return error as PurserError;
  }
  return undefined;
}

describe('monthOf', () => {
  it('should take a month up to the current one, the current one by default', () => {
    expect(monthOf(undefined, now)).toEqual({
      start: new Date('2026-11-01T00:00:00Z'),
      end: new Date('2026-12-01T00:00:00Z'),
      name: '2026-11',
    });
    expect(monthOf('2025-12', now).end).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(errorOf(() => monthOf('2026-12', now))?.message).toMatch(
      /^period: 2026-12 has not started/,
    );
  });

  it('should refuse any other text naming period (generated)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        const error = errorOf(() => monthOf(text, now));
        const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(text) && text <= '2026-11';
        if (valid) expect(error).toBeUndefined();
        else {
          expect(error?.code).toBe('BAD_USER_INPUT');
          expect(error?.message).toMatch(/^period: /);
        }
      }),
    );
  });
});

describe('scopeKind', () => {
  it('should take exactly one scope and name the fields otherwise (generated)', () => {
    const field = fc.option(fc.string({ maxLength: 5 }), { nil: undefined });
    fc.assert(
      fc.property(
        field,
        field,
        field,
        fc.option(fc.boolean(), { nil: undefined }),
        (budgetId, costCenter, costCenterId, org) => {
          const scope = { budgetId, costCenter, costCenterId, org };
          const given =
            [budgetId, costCenter, costCenterId].filter((value) => value !== undefined).length +
            (org === true ? 1 : 0);
          const error = errorOf(() => scopeKind(scope));
          if (given === 1) {
            expect(error).toBeUndefined();
            expect(scopeKind(scope)).toBe(
              budgetId !== undefined ? 'budget' : org === true ? 'org' : 'costCenter',
            );
          } else {
            expect(error?.code).toBe('BAD_USER_INPUT');
            expect(error?.message).toMatch(
              /^scope: give exactly one of budgetId, costCenter, costCenterId or org: true/,
            );
          }
        },
      ),
    );
  });
});
