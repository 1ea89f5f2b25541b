// What unit tests cannot catch: a decision on no budget and no velocity limit answers its
// reservation without a hold statement of its own in Postgres (it waited for one round trip
// and commit of `purser_hold_batch`, four times a decision held within an allowance), and
// `purser_allowance_sync`, sent no budget window, writes that reservation as it was answered,
// where a release and usage naming the decision find it at once.
import { hasPostgres } from '../support/database';
import {
  authorize,
  pennyAsk,
  priceModel,
  PENNY,
  postUsageJson,
  recentUsage,
  unique,
} from '../support/decisions';
import { type RunningPurser, servePurser } from '../support/purser';

const MODEL = 'penny-model';
const RELEASE = 'mutation($id: ID!) { releaseReservation(id: $id) }';

/** The SQL text of every statement the service's Postgres connections send while `run` runs. */
async function statementsDuring<T>(
  dataSource: RunningPurser['purser']['dataSource'],
  run: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  // The driver's own `pg`: every pooled connection (TypeORM's queries and the prepared hot-path
  // statements alike) is one of its clients.
  const { Client } = (dataSource.driver as unknown as { postgres: typeof import('pg') }).postgres;
  const prototype = Client.prototype as unknown as { query(...args: unknown[]): unknown };
  const query = jest.spyOn(prototype, 'query');
  try {
    const result = await run();
    const statements = query.mock.calls.map(([first]) =>
      typeof first === 'string' ? first : String((first as { text?: unknown }).text),
    );
    return { result, statements };
  } finally {
    query.mockRestore();
  }
}

describe('decisions on no budget and no velocity limit', () => {
  if (!hasPostgres) {
    it.skip('needs a Postgres server (statements are counted on its driver)', () => {});
    return;
  }
  const served = servePurser('gateway', {
    prepare: (service) => priceModel(service, MODEL, PENNY),
  });
  const dataSource = () => served.service.purser.dataSource;
  const allowances = () => served.service.purser.services.allowances!;

  it('should answer a reservation without a hold statement, and write it behind as answered', async () => {
    const team = unique('unbudgeted');
    // The first decision loads the caches (catalog, definitions, the key) it would wait for.
    await authorize(served.service, pennyAsk(MODEL, { team }), served.key);
    const placedBefore = allowances().placedOnNothing;
    const { result: decisions, statements } = await statementsDuring(dataSource(), async () => {
      const answers = [];
      for (let index = 0; index < 5; index += 1)
        answers.push(await authorize(served.service, pennyAsk(MODEL, { team }), served.key));
      return answers;
    });
    for (const decision of decisions)
      expect(decision).toMatchObject({
        allow: true,
        budgets: [],
        reservation: { amount: '0.01', currency: 'USD' },
      });
    expect(statements.filter((text) => text.includes('purser_hold_batch'))).toEqual([]);
    expect(allowances().placedOnNothing - placedBefore).toBe(5);

    await allowances().flush();
    const rows: Record<string, unknown>[] = await dataSource().query(
      `SELECT r.id::text AS id, r.decision_id, r.status, r.amount::text AS amount, r.currency,
              r.attribution, r.expires_at, r.key_id IS NOT NULL AS keyed,
              (SELECT count(*)::int FROM reservation_holds h WHERE h.reservation_id = r.id) AS holds
       FROM reservations r WHERE r.decision_id = ANY($1::text[]) ORDER BY r.created_at, r.id`,
      [decisions.map((decision) => decision.decisionId)],
    );
    const byDecision = new Map(rows.map((row) => [row.decision_id, row]));
    expect(rows).toHaveLength(5);
    for (const decision of decisions) {
      const row = byDecision.get(decision.decisionId);
      expect(row).toEqual({
        id: decision.reservation!.id,
        decision_id: decision.decisionId,
        status: 'held',
        amount: '0.01',
        currency: 'USD',
        attribution: { team },
        expires_at: new Date(decision.reservation!.expiresAt),
        keyed: true,
        holds: 0,
      });
    }
  });

  it('should let a release and usage naming the decision find its hold at once', async () => {
    const team = unique('unbudgeted');
    const released = await authorize(served.service, pennyAsk(MODEL, { team }), served.key);
    expect(
      (await served.service.graphql(RELEASE, { id: released.reservation!.id }, served.key)).data,
    ).toEqual({ releaseReservation: true });

    const used = await authorize(served.service, pennyAsk(MODEL, { team }), served.key);
    // No attribution of its own: the decision's completes it.
    const response = await postUsageJson(
      served.service,
      served.key,
      recentUsage(MODEL, {}, 600, { decision_id: used.decisionId }),
    );
    expect(await response.json()).toMatchObject({ accepted: 1 });

    const statuses: { decision_id: string; status: string }[] = await dataSource().query(
      `SELECT decision_id, status FROM reservations WHERE decision_id = ANY($1::text[])`,
      [[released.decisionId, used.decisionId]],
    );
    expect(Object.fromEntries(statuses.map((row) => [row.decision_id, row.status]))).toEqual({
      [released.decisionId]: 'released',
      [used.decisionId]: 'settled',
    });
    const stored: { team: string | null }[] = await dataSource().query(
      `SELECT team FROM usage_events WHERE decision_id = $1`,
      [used.decisionId],
    );
    expect(stored).toEqual([{ team }]);
  });
});
