/** How a replica lends itself room (docs/0005-hold-allowances.md). */
export interface AllowanceOptions {
  /** This replica's id in `hold_allowances`; a new one per process. */
  replicaId: string;
  /** Holds per second on a budget window (over the last full second) before it takes an allowance. */
  minRate: number;
  /** How long an allowance lives in the database; the replica stops using it at half of that. */
  ttlMs: number;
  /** The largest share of a window's room one allowance may take. */
  share: number;
  /** How much of the replica's own traffic an allowance is sized to cover. */
  horizonMs: number;
  /** Holds placed in memory are written within this (plus the write itself). */
  syncDelayMs: number;
  /** How often allowances are renewed, resized or given back. */
  renewMs: number;
  syncCommit: boolean;
  /** Monotonic milliseconds (performance.now by default; tests move it). */
  clock?: () => number;
}

export const DEFAULT_ALLOWANCE_OPTIONS: Omit<AllowanceOptions, 'replicaId' | 'syncCommit'> = {
  minRate: 50,
  ttlMs: 2_000,
  share: 0.02,
  horizonMs: 250,
  syncDelayMs: 10,
  renewMs: 100,
};

/**
 * How long a refused hold may wait for allowances to be given back or to expire: an
 * allowance's life and two renewals.
 */
export function allowanceWaitMs(options: Pick<AllowanceOptions, 'ttlMs' | 'renewMs'>): number {
  return options.ttlMs + 2 * options.renewMs;
}
