import { z } from 'zod';

export const ROLES = ['admin', 'finance', 'viewer', 'gateway'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = (typeof ROLES)[number];

/**
 * Who may do what. `admin` may do everything; the rest is listed per action so a
 * resolver names its action, not a role list.
 */
export const PERMISSIONS = {
  'apiKeys.manage': ['admin'],
  'pricing.read': ['admin', 'finance', 'viewer'],
  'pricing.write': ['admin', 'finance'],
  'usage.ingest': ['admin', 'gateway'],
  'usage.read': ['admin', 'finance', 'viewer'],
  'usage.reprice': ['admin', 'finance'],
  'deadLetters.replay': ['admin'],
  'budgets.read': ['admin', 'finance', 'viewer'],
  'budgets.write': ['admin', 'finance'],
  'decisions.authorize': ['admin', 'gateway'],
  'decisions.simulate': ['admin', 'finance', 'viewer', 'gateway'],
  'decisions.read': ['admin', 'finance', 'viewer'],
  'policy.activate': ['admin'],
  'virtualKeys.manage': ['admin', 'finance'],
  'allocation.read': ['admin', 'finance', 'viewer'],
  'allocation.write': ['admin', 'finance'],
  'periods.reopen': ['admin'],
  // Business metrics come from the systems that hold them (ticketing, billing): a gateway
  // key may push them like usage, finance loads revenue; viewers only read the reports.
  'metrics.write': ['admin', 'finance', 'gateway'],
  'metrics.read': ['admin', 'finance', 'viewer'],
  // The FOCUS export is the whole cost file for finance tools: not for viewers.
  'focus.export': ['admin', 'finance'],
  // Billing sources hold a provider's admin key: admins only. Reconciliation is a report.
  'billing.manage': ['admin'],
  'reconciliation.read': ['admin', 'finance', 'viewer'],
  // The monthly report (PDF, HTML, CSV): a summary finance takes to a board; viewers read it.
  'reports.read': ['admin', 'finance', 'viewer'],
  // Webhooks send spend figures outside: who configures them is who may change budgets.
  'notifications.manage': ['admin', 'finance'],
  'notifications.read': ['admin', 'finance', 'viewer'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** The permissions a role has, sorted by name. */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[])
    .filter((permission) => (PERMISSIONS[permission] as readonly Role[]).includes(role))
    .sort();
}
