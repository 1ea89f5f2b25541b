/**
 * The FOCUS Cost and Usage column names, in the order the export writes them: the
 * specification's columns of the version (alphabetical, as the FOCUS column lists give them:
 * 57 in 1.2, 65 in 1.3), then Purser's own `x_` columns. Mandatory columns are all there;
 * Conditional and Recommended ones Purser has no value for are written empty (null).
 */
export const FOCUS_VERSIONS = ['1.2', '1.3'] as const;
export type FocusVersion = (typeof FOCUS_VERSIONS)[number];

const COLUMNS_1_2 = [
  'AvailabilityZone',
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingAccountType',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'CapacityReservationId',
  'CapacityReservationStatus',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'CommitmentDiscountCategory',
  'CommitmentDiscountId',
  'CommitmentDiscountName',
  'CommitmentDiscountQuantity',
  'CommitmentDiscountStatus',
  'CommitmentDiscountType',
  'CommitmentDiscountUnit',
  'ConsumedQuantity',
  'ConsumedUnit',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'InvoiceId',
  'InvoiceIssuerName',
  'ListCost',
  'ListUnitPrice',
  'PricingCategory',
  'PricingCurrency',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'PricingCurrencyListUnitPrice',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'RegionId',
  'RegionName',
  'ResourceId',
  'ResourceName',
  'ResourceType',
  'ServiceCategory',
  'ServiceName',
  'ServiceSubcategory',
  'SkuId',
  'SkuMeter',
  'SkuPriceDetails',
  'SkuPriceId',
  'SubAccountId',
  'SubAccountName',
  'SubAccountType',
  'Tags',
] as const;

/** What 1.3 adds to the 1.2 list (columns.json against columns-1.2.json); nothing is removed. */
const ADDED_IN_1_3 = [
  'AllocatedMethodDetails',
  'AllocatedMethodId',
  'AllocatedResourceId',
  'AllocatedResourceName',
  'AllocatedTags',
  'ContractApplied',
  'HostProviderName',
  'ServiceProviderName',
] as const;

/** Alphabetical like the specification's list (code-point order, as the lists are sorted). */
const COLUMNS_1_3 = [...COLUMNS_1_2, ...ADDED_IN_1_3].sort();

/** Purser-only columns (FOCUS reserves the `x_` prefix for them). */
export const PURSER_COLUMNS = [
  'x_CostCenter',
  'x_CostSource',
  'x_PriceCardId',
  'x_Requests',
  'x_TokenType',
  'x_Model',
] as const;

export type FocusColumn =
  (typeof COLUMNS_1_2)[number] | (typeof ADDED_IN_1_3)[number] | (typeof PURSER_COLUMNS)[number];

/** The header of a version's export. */
export function focusColumns(version: FocusVersion): readonly FocusColumn[] {
  return [...(version === '1.2' ? COLUMNS_1_2 : COLUMNS_1_3), ...PURSER_COLUMNS];
}
