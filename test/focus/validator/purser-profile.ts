// What of the FOCUS 1.2 rule model applies to Purser's exports, and the one rule skipped by
// name; shared by the validator suite and the end-to-end bill-to-FOCUS test.
import type { Table } from './checks';
import { loadCurrencyCodes, loadModel, validate, type RuleResult } from './validator';

/**
 * What Purser's data supports, in the model's terms (the validator's applicability criteria):
 * usage is measured in tokens and priced per unit from the providers' public price lists, the
 * billing account has a name, attribution gives tags and the project is the sub-account.
 * Purser has no availability zones, regions, capacity reservations, commitment discounts,
 * negotiated prices, virtual currencies, pricing currencies other than the billing one,
 * provisioned resources, resource types, or several billing/sub-account types or pricing
 * categories: rules under those criteria do not apply.
 */
export const APPLICABLE = new Set([
  'USAGE_MEASUREMENT_SUPPORTED',
  'UNIT_PRICING_SUPPORTED',
  'PUBLIC_PRICE_LIST_SUPPORTED',
  'ACCOUNT_NAMING_SUPPORTED',
  'TAGGING_SUPPORTED',
  'SUB_ACCOUNT_SUPPORTED',
]);

/**
 * Static rules skipped, each with the upstream defect that makes it unsatisfiable (REFERENCE.md
 * "Known model defects", beau-finopsorg/FOCUS-Sample-Data tooling/FINDINGS.md).
 */
export const SKIPPED: Record<string, string> = {
  'InvoiceId-C-005-C':
    'contradicts InvoiceId-C-004-C: both have no condition, one requires InvoiceId null on every row ' +
    'and the other not null on every row (the "associated with an invoice" condition is missing ' +
    'from the model). Purser has no invoice yet: InvoiceId is null, which C-004-C requires.',
};

/** Every Static rule of the 1.2 model run on `table` with Purser's profile. */
export function staticResults(table: Table): Map<string, RuleResult> {
  return validate(loadModel(), table, {
    applicability: APPLICABLE,
    currencyCodes: loadCurrencyCodes(),
    skip: new Set(Object.keys(SKIPPED)),
  });
}

/** The failed rules of {@link staticResults}, each with its requirement and failing rows. */
export function failedRules(results: Map<string, RuleResult>): string[] {
  return [...results.values()]
    .filter((result) => result.status === 'failed')
    .map(
      (result) =>
        `${result.id} (${result.keyword}): ${result.mustSatisfy} rows ${result.failingRows.join(' ')}`,
    );
}
