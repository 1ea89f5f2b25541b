import { ApiKeys1763900000000 } from './1763900000000-api-keys';
import { Pricing1763900100000 } from './1763900100000-pricing';
import { Usage1763900200000 } from './1763900200000-usage';
import { Budgets1763900300000 } from './1763900300000-budgets';
import { HoldFunction1763900400000 } from './1763900400000-hold-function';
import { HoldBatch1763900500000 } from './1763900500000-hold-batch';
import { HoldAllowances1763900600000 } from './1763900600000-hold-allowances';
import { HoldKeys1763900800000 } from './1763900800000-hold-keys';
import { HoldJsonArgs1763901000000 } from './1763901000000-hold-json-args';
import { UnpricedRollup1763900900000 } from './1763900900000-unpriced-rollup';
import { Allocation1763901200000 } from './1763901200000-allocation';
import { BusinessMetrics1763901300000 } from './1763901300000-business-metrics';
import { Billing1763901600000 } from './1763901600000-billing';
import { DailyRollup1763901700000 } from './1763901700000-daily-rollup';
import { Anomalies1763901900000 } from './1763901900000-anomalies';
import { Notifications1763902000000 } from './1763902000000-notifications';
import { MonthlyReportNotices1763902100000 } from './1763902100000-monthly-report-notices';
import { DailyTaggedRollup1763902200000 } from './1763902200000-daily-tagged-rollup';
import { HoldsOnNoBudget1763902300000 } from './1763902300000-holds-on-no-budget';

/** Every migration, oldest first. The same list runs on PGlite and on Postgres 15. */
export const migrations = [
  ApiKeys1763900000000,
  Pricing1763900100000,
  Usage1763900200000,
  Budgets1763900300000,
  HoldFunction1763900400000,
  HoldBatch1763900500000,
  HoldAllowances1763900600000,
  HoldKeys1763900800000,
  UnpricedRollup1763900900000,
  HoldJsonArgs1763901000000,
  Allocation1763901200000,
  BusinessMetrics1763901300000,
  Billing1763901600000,
  DailyRollup1763901700000,
  Anomalies1763901900000,
  Notifications1763902000000,
  MonthlyReportNotices1763902100000,
  DailyTaggedRollup1763902200000,
  HoldsOnNoBudget1763902300000,
];
