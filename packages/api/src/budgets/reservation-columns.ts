import type { HoldRequest } from './hold-types';

/**
 * The reservations of holds as the hold statements read them (`h_*` of `purser_hold_batch`
 * and `purser_allowance_sync`): id, decision, amount, currency, attribution, placed, expires,
 * and the API key that placed it.
 */
export function reservationColumns(requests: HoldRequest[]): unknown[][] {
  return [
    requests.map((request) => request.reservationId),
    requests.map((request) => request.decisionId),
    requests.map((request) => request.amount),
    requests.map((request) => request.currency),
    requests.map((request) => JSON.stringify(request.attribution)),
    requests.map((request) => request.now.toISOString()),
    requests.map((request) => request.expiresAt.toISOString()),
    requests.map((request) => request.keyId ?? null),
  ];
}
