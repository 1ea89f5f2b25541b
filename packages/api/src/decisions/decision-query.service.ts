import type { DataSource } from 'typeorm';
import { toPage } from '../graphql/pagination';
import type { Decision } from './authorize.service';
import { fromWireReason, type WireReason } from './authorize-mapping';
import type { DecisionLog } from './decision-log';

/** Which recorded decisions to list; every field narrows. */
export interface DecisionQuery {
  action?: string;
  /** The model decided on or the one requested. */
  model?: string;
  team?: string;
  from?: Date;
  to?: Date;
}

/** One decision as recorded in the decision log, read back. */
export interface RecordedDecision {
  decisionId: string;
  createdAt: Date;
  path: string;
  provider: string;
  requestedModel: string;
  model: string;
  action: Decision['action'];
  allow: boolean;
  attribution: Record<string, string>;
  request: Record<string, unknown>;
  reasons: Decision['reasons'];
  estimatedCost?: string;
  reservationId?: string;
  policyRevision: string;
  latencyMs: number;
}

/** Reads the decision log: recorded decisions, newest first. */
export class DecisionQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly decisionLog: DecisionLog,
  ) {}

  /**
   * A page of `size` decisions matching `query`, older than the one whose sequence number is
   * `before` (from a cursor) when given. What is buffered in the log is written first.
   */
  async list(query: DecisionQuery | undefined, size: number, before: string | null) {
    await this.decisionLog.flush();
    const params: unknown[] = [];
    const where: string[] = [];
    if (query?.action) where.push(`action = $${params.push(query.action)}`);
    if (query?.model)
      where.push(`(model = $${params.push(query.model)} OR requested_model = $${params.length})`);
    if (query?.team) where.push(`attribution->>'team' = $${params.push(query.team)}`);
    if (query?.from) where.push(`created_at >= $${params.push(query.from.toISOString())}`);
    if (query?.to) where.push(`created_at < $${params.push(query.to.toISOString())}`);
    if (before) where.push(`seq < $${params.push(before)}::bigint`);
    params.push(size + 1);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT *, seq::text AS seq FROM decisions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY decisions.seq DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(
      rows.map((row): Record<string, unknown> & { id: string } => ({
        ...row,
        decision_id: row.id,
        id: String(row.seq),
      })),
      size,
      (row): RecordedDecision => ({
        decisionId: String(row.decision_id),
        createdAt: new Date(row.created_at as string),
        path: String(row.path),
        provider: String(row.provider),
        requestedModel: String(row.requested_model),
        model: String(row.model),
        action: row.action as Decision['action'],
        allow: Boolean(row.allow),
        attribution: row.attribution as Record<string, string>,
        request: row.request as Record<string, unknown>,
        reasons: (row.reasons as WireReason[]).map(fromWireReason),
        estimatedCost: (row.estimated_cost as string | null) ?? undefined,
        reservationId: (row.reservation_id as string | null) ?? undefined,
        policyRevision: String(row.policy_revision),
        latencyMs: Number(row.latency_ms),
      }),
    );
  }
}
