/**
 * The monthly report's data: what every format (CSV, HTML, PDF) renders, gathered once by
 * `MonthlyReportService`. Money is exact decimal strings throughout.
 */

/** One day of the month's spend (every day of the month, 0 when nothing was spent). */
export interface DailySpend {
  /** UTC day, `2026-11-03`. */
  day: string;
  cost: string;
  requests: number;
}

/** A previous month's total spend (the trend). */
export interface MonthTotal {
  /** `2026-10`. */
  month: string;
  total: string;
}

/** A cost center's chargeback for the month (not rolled up: rows sum to the total). */
export interface CostCenterSpend {
  code: string;
  name: string;
  direct: string;
  shared: string;
  trueUp: string;
  total: string;
}

/** A feature's spend for the month; `feature` null is usage that named no feature. */
export interface FeatureSpend {
  feature: string | null;
  cost: string;
  requests: number;
}

/** The month's priced usage against one provider's bill (reconciliation, per UTC day × model). */
export interface ProviderVariance {
  provider: string;
  estimated: string;
  billed: string;
  /** estimated − billed (reconciliation's sign: positive when Purser estimated more). */
  delta: string;
  /** delta ÷ billed × 100 (2 places); null when nothing was billed. */
  deltaPercent: string | null;
  /** Day × model rows by status (MATCHED, OVER, UNDER, MISSING_INTERNAL, MISSING_PROVIDER). */
  statuses: Record<string, number>;
  /** Billed charges that are not tokens (fees, storage…), not in `billed`. */
  nonTokenCharges: string;
}

/** One waste finding as the report needs it (the insights domain gives more). */
export interface WasteFindingSummary {
  category: string;
  spend: string;
  recoverable: string;
}

/**
 * Where the report takes waste findings from: the assembly fills it with the insights
 * domain's `wasteReport` when that exists (the reports domain does not import insights).
 */
export interface WasteFindingsSource {
  wasteFindings(from: Date, to: Date): Promise<readonly WasteFindingSummary[]>;
}

/** Waste found in the month, per category. */
export interface WasteCategory {
  category: string;
  findings: number;
  spend: string;
  recoverable: string;
}

/** AI cost per unit of a business metric recorded in the month. */
export interface UnitCost {
  metric: string;
  /** The metric's currency when it is money (revenue), else null. */
  metricCurrency: string | null;
  value: string;
  cost: string;
  /** cost ÷ value; null when the value is zero. */
  costPerUnit: string | null;
}

/** A budget's outcome over the windows that overlap the month. */
export interface BudgetOutcome {
  id: string;
  name: string;
  period: string;
  currency: string;
  limit: string;
  /** Windows of the budget that overlap the month and counted spend. */
  windows: number;
  /** Spend counted in those windows (whole windows: a weekly one may reach past the month). */
  spent: string;
  /** The largest window's spend. */
  peak: string;
  /** peak ÷ limit × 100 (1 place); null for a limit of 0. */
  peakPercent: string | null;
  /** Windows whose spend passed the limit. */
  overLimit: number;
  /** Thresholds crossed in those windows (fractions of the limit, as recorded), ascending. */
  alerts: string[];
}

export interface MonthlyReportData {
  /** `2026-11`. */
  month: string;
  from: Date;
  to: Date;
  currency: string;
  /** The month's spend: the sum of `daily`, of `features`. */
  total: string;
  requests: number;
  unpricedRequests: number;
  daily: DailySpend[];
  /** The months before, oldest first (the trend). */
  previousMonths: MonthTotal[];
  costCenters: CostCenterSpend[];
  unallocated: string;
  /** Prior-period adjustments shown in this month's chargeback. */
  adjustments: string;
  /** Cost centers + unallocated + adjustments. */
  chargebackTotal: string;
  features: FeatureSpend[];
  variance: ProviderVariance[];
  /** Providers with spend in the month but no bill imported for it. */
  unbilledProviders: string[];
  /** Null when no waste source is configured. */
  waste: WasteCategory[] | null;
  unitEconomics: UnitCost[];
  budgets: BudgetOutcome[];
}
