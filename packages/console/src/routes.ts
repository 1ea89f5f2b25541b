import type { PageRoute } from './lib/page';
import { AnomaliesPage } from './pages/anomalies';
import { BudgetsPage } from './pages/budgets';
import { ChargebackPage } from './pages/chargeback';
import { DecisionsPage } from './pages/decisions';
import { OverviewPage } from './pages/overview';
import { ReconciliationPage } from './pages/reconciliation';
import { UnpricedPage } from './pages/unpriced';
import { WastePage } from './pages/waste';

/** The console's pages, in the navigation's order. A new page: one file in pages/, one line here. */
export const ROUTES: PageRoute[] = [
  { path: '/', title: 'Overview', permission: 'usage.read', component: OverviewPage },
  { path: '/budgets', title: 'Budgets', permission: 'budgets.read', component: BudgetsPage },
  {
    path: '/chargeback',
    title: 'Chargeback',
    permission: 'allocation.read',
    component: ChargebackPage,
  },
  {
    path: '/reconciliation',
    title: 'Reconciliation',
    permission: 'reconciliation.read',
    component: ReconciliationPage,
  },
  {
    path: '/decisions',
    title: 'Decisions',
    permission: 'decisions.read',
    component: DecisionsPage,
  },
  { path: '/waste', title: 'Waste', permission: 'usage.read', component: WastePage },
  { path: '/anomalies', title: 'Anomalies', permission: 'usage.read', component: AnomaliesPage },
  {
    path: '/unpriced',
    title: 'Unpriced & dead letters',
    permission: 'usage.read',
    component: UnpricedPage,
  },
];
