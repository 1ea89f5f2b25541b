/**
 * The snapshot/hold retry of one decision, as a small state machine.
 *
 * - The policy decides on the counters this replica remembers (`read_cached`), or on counters
 *   read from the database (`read_fresh`) when those are too old, and always for a simulation.
 * - A deny made on remembered counters is checked on a fresh read before it is answered.
 * - An allowed decision is held (`hold`). The hold re-checks every limit under lock and
 *   answers the counters it saw (`take_held_counters`). When it was refused, the policy decides
 *   again on those exact counters: a downgrade or a smaller cap may still fit.
 * - A hold refused only on room lent to replicas as allowances comes back `waited` once that
 *   room was asked back (the ledger's wait, docs/0005). It is tried again on a fresh read and
 *   does not count as an attempt.
 * - At most `MAX_HOLD_ATTEMPTS` holds are placed; after that, concurrent holds kept taking
 *   the room.
 *
 * The machine only sequences. Each state's work is a step of `HoldRetrySteps`, which reads
 * and fills in the decision's context. Per decision it allocates only its own promise.
 */

/** Holds tried for one decision at most, when concurrent holds keep taking the room. */
export const MAX_HOLD_ATTEMPTS = 3;

export type HoldRetryState =
  /** Counters this replica remembers; fresh ones when any is older than the bound. */
  | 'read_cached'
  /** Counters read from the database (exact). */
  | 'read_fresh'
  /** The policy decides on the snapshot. */
  | 'decide'
  /** The allowed cost is held on every budget and velocity counter. */
  | 'hold'
  /** The counters the hold saw under lock become the snapshot (and are remembered). */
  | 'take_held_counters';

/** How a decision's retry ended, which says which answer to give. */
export type HoldRetryEnd =
  /** The policy's answer stands as it is: not allowed, on exact counters. */
  | 'decided'
  /** A simulation's allowed answer: nothing is held. */
  | 'simulated'
  /** The hold was placed. */
  | 'held'
  /** Concurrent holds kept taking what this one needed. */
  | 'exhausted';

/** How a hold came back: placed, refused, or refused on lent room and waited for it. */
export type HoldOutcome = 'placed' | 'refused' | 'waited';

/** The work of each state on the decision's context `C`; `H` is what a hold answers. */
export interface HoldRetrySteps<C, H> {
  /** Takes the remembered counters as the snapshot; false (nothing taken) when too old. */
  readCached(context: C): Promise<boolean>;
  /** Takes counters read from the database as the snapshot. */
  readFresh(context: C): Promise<void>;
  /** Whether the snapshot is exact: read from the database or seen by a hold. */
  snapshotExact(context: C): boolean;
  /** Evaluates the policy on the snapshot; true when it allows, with a cost to hold. */
  decide(context: C): boolean;
  /** Places the hold of the allowed cost. */
  hold(context: C): Promise<H>;
  /** Records what the hold answered in the context and says how it came back. */
  holdOutcome(context: C, answer: H): HoldOutcome;
  /** Takes the counters the hold saw as the snapshot. */
  takeHeldCounters(context: C): void;
}

export async function runHoldRetry<C, H>(
  steps: HoldRetrySteps<C, H>,
  context: C,
  simulate: boolean,
): Promise<HoldRetryEnd> {
  let state: HoldRetryState = simulate ? 'read_fresh' : 'read_cached';
  let holds = 0;
  let placed = false;
  for (;;) {
    switch (state) {
      case 'read_cached':
        state = (await steps.readCached(context)) ? 'decide' : 'read_fresh';
        break;
      case 'read_fresh':
        await steps.readFresh(context);
        state = 'decide';
        break;
      case 'decide':
        if (!steps.decide(context)) {
          if (steps.snapshotExact(context)) return 'decided';
          state = 'read_fresh';
        } else if (simulate) {
          return 'simulated';
        } else if (holds === MAX_HOLD_ATTEMPTS) {
          return 'exhausted';
        } else {
          state = 'hold';
        }
        break;
      case 'hold': {
        const outcome = steps.holdOutcome(context, await steps.hold(context));
        if (outcome === 'waited') {
          // Room that was lent, not spent: this try does not count.
          state = 'read_fresh';
        } else {
          holds += 1;
          placed = outcome === 'placed';
          state = 'take_held_counters';
        }
        break;
      }
      case 'take_held_counters':
        steps.takeHeldCounters(context);
        if (placed) return 'held';
        state = 'decide';
        break;
    }
  }
}
