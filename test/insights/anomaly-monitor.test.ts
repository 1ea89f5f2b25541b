// The anomaly job on real Postgres and NATS: three replicas on one database, one without NATS.
// The one without NATS records the hour's anomalies (feature and team) and publishes nothing;
// the two with NATS, ticking at the same time and again, publish each anomaly exactly once on
// purser.anomalies.v1 (schema-valid, Nats-Msg-Id = anomaly_id); a listener that fails leaves
// them to be told again, and each is handed to the listeners exactly once in all.
import { ANOMALIES_SUBJECT, anomalyDetectedSchema, type AnomalyDetected } from '@purser/adapters';
import type { NatsConnection } from '@nats-io/transport-node';
import { ingest, priceModels } from '../allocation/allocation-support';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../support/database';
import { connectNats } from '../support/nats';
import { unique } from '../support/decisions';
import { startPurser, type RunningPurser } from '../support/purser';
import { dayAt, flatDays } from './anomaly-support';

(hasPostgres ? describe : describe.skip)('anomaly monitor (needs DATABASE_URL)', () => {
  let database: TestDatabase;
  let withNats: [RunningPurser, RunningPurser];
  let withoutNats: RunningPurser;
  let nats: NatsConnection;
  const feature = unique('chat');
  const team = unique('search');
  // 2026-11-24 15:05 UTC: the spike's hour (14:00) has closed.
  const clock = () => new Date('2026-11-24T15:05:00Z');
  const told: { replica: string; anomalies: AnomalyDetected[] }[] = [];
  let failures = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const start = (withNatsOption: boolean) =>
      startPurser({ database, clock, nats: withNatsOption });
    withoutNats = await start(false);
    withNats = [await start(true), await start(true)];
    nats = await connectNats();
    const gateway = await withoutNats.keyFor('gateway');
    await priceModels(withoutNats);
    const events = flatDays(57, { feature, team });
    events.push({ id: unique('s'), at: dayAt(56, 14), input: 500, attribution: { feature, team } });
    await ingest(withoutNats, gateway, events);
    // The replica without NATS has a listener that fails once; the others record what they are told.
    withoutNats.purser.services.anomalies.onAnomalies(async () => {
      failures += 1;
      throw new Error('the notifier is down');
    });
    for (const [index, replica] of withNats.entries()) {
      replica.purser.services.anomalies.onAnomalies(async (anomalies, manager) => {
        // The listener runs in the transaction that marks the rows told.
        const [{ locked }] = await manager.query(
          `SELECT count(*)::int AS locked FROM spend_anomalies WHERE notified_at IS NULL`,
        );
        expect(locked).toBe(anomalies.length);
        told.push({ replica: `with NATS ${index}`, anomalies });
      });
    }
  });
  afterAll(async () => {
    await nats?.close();
    for (const replica of [withoutNats, ...(withNats ?? [])]) await replica?.stop();
    await database?.drop();
  });

  it('should record once, publish once on purser.anomalies.v1 and tell the listeners once', async () => {
    const received: { payload: AnomalyDetected; msgId: string | undefined }[] = [];
    const subscription = nats.subscribe(ANOMALIES_SUBJECT, {
      callback: (error, message) => {
        if (error) return;
        const payload = anomalyDetectedSchema.parse(message.json());
        if (payload.value !== feature && payload.value !== team) return;
        received.push({ payload, msgId: message.headers?.get('Nats-Msg-Id') });
      },
    });
    await nats.flush();

    // Without NATS: recorded, not published; its failing listener leaves them untold.
    await withoutNats.purser.anomalyMonitor!.tick();
    const recorded: Record<string, unknown>[] = await withoutNats.purser.dataSource.query(
      `SELECT dimension, value, hour, expected::text AS expected, observed::text AS observed, score,
              baseline_weeks, published_at IS NOT NULL AS published, notified_at IS NOT NULL AS notified
       FROM spend_anomalies ORDER BY dimension`,
    );
    const hour = new Date('2026-11-24T14:00:00Z');
    const row = { hour, expected: '10', observed: '510', score: 500, baseline_weeks: 8 };
    expect(recorded).toEqual([
      { ...row, dimension: 'feature', value: feature, published: false, notified: false },
      { ...row, dimension: 'team', value: team, published: false, notified: false },
    ]);
    expect(failures).toBe(1);

    // Both replicas with NATS at once, then each again, then the one without.
    const [first, second] = withNats.map((replica) => replica.purser.anomalyMonitor!);
    await Promise.all([first!.tick(), second!.tick()]);
    await first!.tick();
    await second!.tick();
    await withoutNats.purser.anomalyMonitor!.tick();
    await nats.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    subscription.unsubscribe();

    const payloads = received
      .map(({ payload }) => payload)
      .sort((a, b) => a.dimension.localeCompare(b.dimension));
    const common = {
      hour: '2026-11-24T14:00:00.000Z',
      expected: '10',
      observed: '510',
      excess: '500',
      score: 500,
      baseline_weeks: 8,
      currency: 'USD',
    };
    expect(payloads).toEqual([
      expect.objectContaining({
        ...common,
        dimension: 'feature',
        value: feature,
        dimensions: { feature, hour: common.hour },
      }),
      expect.objectContaining({
        ...common,
        dimension: 'team',
        value: team,
        dimensions: { team, hour: common.hour },
      }),
    ]);
    for (const { payload, msgId } of received) expect(msgId).toBe(payload.anomaly_id);
    expect(new Set(payloads.map((payload) => payload.anomaly_id)).size).toBe(2);

    // Told once in all (by whichever replica locked them first), after the failed attempt.
    const toldIds = told.flatMap(({ anomalies }) => anomalies.map((anomaly) => anomaly.anomaly_id));
    expect(toldIds.sort()).toEqual(payloads.map((payload) => payload.anomaly_id).sort());
    expect(failures).toBe(1);
    const marks = await withoutNats.purser.dataSource.query(
      `SELECT count(*)::int AS n FROM spend_anomalies WHERE published_at IS NOT NULL AND notified_at IS NOT NULL`,
    );
    expect(marks).toEqual([{ n: 2 }]);
  });
});
