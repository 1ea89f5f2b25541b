import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { returningRows } from '../db/returning';
import { wellFormedJson } from '../db/well-formed';
import { badInput, notFound } from '../errors';
import type { DeliveryQueries, DeliveryValue } from './delivery-query';
import { sealedField, type Sealer } from './sealer';
import { generateSecret } from './signing';
import {
  checkEvents,
  checkFormat,
  checkName,
  checkSecret,
  checkUrl,
  checkWebhookInput,
  displayUrl,
  type WebhookEvent,
  type WebhookFields,
  type WebhookFormat,
  type WebhookPatch,
} from './webhook-input';

/** A webhook as the API shows it: its URL's origin only, never its secret. */
export interface WebhookValue {
  id: string;
  name: string;
  url: string;
  format: WebhookFormat;
  events: WebhookEvent[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface WebhookRow {
  id: string;
  name: string;
  url_display: string;
  url_sealed: string;
  secret_sealed: string;
  format: WebhookFormat;
  events: WebhookEvent[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, url_display, url_sealed, secret_sealed, format, events, enabled, created_at, updated_at';
export const MAX_WEBHOOKS = 100;
const MAX_EVENT_ID = 256;

function toValue(row: WebhookRow): WebhookValue {
  return {
    id: row.id,
    name: row.name,
    url: row.url_display,
    format: row.format,
    events: row.events,
    enabled: row.enabled,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export interface NotifyOptions {
  /** Stable id of the event: notified again, it is not delivered again. Default: random. */
  id?: string;
  occurredAt?: Date;
  /** Write the deliveries in this transaction (an outbox next to what caused them). */
  manager?: EntityManager;
}

/**
 * Webhooks and the outbox: `notify` writes one delivery a webhook subscribed to the event
 * (unique per webhook and event id), which the delivery worker sends.
 */
export class WebhookService {
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      sealer: Sealer | null;
      maxAttempts: number;
      clock: () => Date;
      deliveries: DeliveryQueries;
      /** Sends one delivery at once (the delivery worker). */
      sender: { leaseMs: number; deliverNow(deliveryId: string): Promise<void> };
    },
  ) {}

  /** Called after `notify` wrote deliveries (the worker starts on them without waiting). */
  onNotified(listener: () => void): void {
    this.listeners.push(listener);
  }

  async list(): Promise<WebhookValue[]> {
    const rows: WebhookRow[] = await this.deps.dataSource.query(
      `SELECT ${COLUMNS} FROM webhooks ORDER BY name`,
    );
    return rows.map(toValue);
  }

  async get(id: string): Promise<WebhookValue> {
    return toValue(await this.row(id));
  }

  private async row(id: string): Promise<WebhookRow> {
    const rows: WebhookRow[] = await this.deps.dataSource.query(
      `SELECT ${COLUMNS} FROM webhooks WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) throw notFound('webhook', id);
    return rows[0]!;
  }

  private sealer(): Sealer {
    if (!this.deps.sealer) {
      throw badInput(
        'PURSER_SECRET_KEY is not set: webhook URLs and secrets are stored encrypted with it (32+ characters)',
        { field: 'url' },
      );
    }
    return this.deps.sealer;
  }

  /** Creates a webhook; answers its signing secret, which is never shown again. */
  async create(input: WebhookFields): Promise<{ webhook: WebhookValue; secret: string }> {
    const fields = checkWebhookInput(input);
    const sealer = this.sealer();
    const [{ count }] = (await this.deps.dataSource.query(
      `SELECT count(*)::int AS count FROM webhooks`,
    )) as { count: number }[];
    if (count >= MAX_WEBHOOKS) {
      throw badInput(`name: at most ${MAX_WEBHOOKS} webhooks; delete one first`, {
        field: 'name',
      });
    }
    const id = randomUUID();
    const secret = fields.secret ?? generateSecret();
    try {
      const rows: WebhookRow[] = await this.deps.dataSource.query(
        `INSERT INTO webhooks (id, name, url_sealed, url_display, format, events, secret_sealed)
         VALUES ($1, $2, $3, $4, $5, $6::text[], $7) RETURNING ${COLUMNS}`,
        [
          id,
          fields.name,
          sealer.seal(fields.url, sealedField(id, 'url')),
          displayUrl(fields.url),
          fields.format,
          fields.events,
          sealer.seal(secret, sealedField(id, 'secret')),
        ],
      );
      return { webhook: toValue(rows[0]!), secret };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw badInput(`name: a webhook named "${fields.name}" exists`, { field: 'name' });
      }
      throw error;
    }
  }

  /**
   * Changes what is given; an absent field keeps its value. Disabling a webhook gives up its
   * pending deliveries (failed, "webhook disabled"): re-enabled, it does not replay them.
   */
  async update(id: string, patch: WebhookPatch): Promise<WebhookValue> {
    const current = await this.row(id);
    const given = <T>(value: T | null | undefined): value is T =>
      value !== undefined && value !== null;
    // What is not given is kept in SQL (COALESCE), so two updates at once each change only
    // their own fields, never writing back what the other read.
    const name = given(patch.name) ? checkName(patch.name) : null;
    const url = given(patch.url) ? checkUrl(patch.url) : null;
    const format = given(patch.format) ? checkFormat(patch.format) : null;
    const events = given(patch.events) ? checkEvents(patch.events) : null;
    const secret = given(patch.secret) ? checkSecret(patch.secret) : null;
    const enabled = given(patch.enabled) ? patch.enabled : null;
    const sealer = url !== null || secret !== null ? this.sealer() : null;
    try {
      return await this.deps.dataSource.transaction(async (manager) => {
        const rows = returningRows<WebhookRow>(
          await manager.query(
            `UPDATE webhooks SET name = COALESCE($2, name), url_sealed = COALESCE($3, url_sealed),
               url_display = COALESCE($4, url_display), format = COALESCE($5, format),
               events = COALESCE($6::text[], events), secret_sealed = COALESCE($7, secret_sealed),
               enabled = COALESCE($8, enabled), updated_at = now()
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [
              id,
              name,
              url !== null ? sealer!.seal(url, sealedField(id, 'url')) : null,
              url !== null ? displayUrl(url) : null,
              format,
              events,
              secret !== null ? sealer!.seal(secret, sealedField(id, 'secret')) : null,
              enabled,
            ],
          ),
        );
        if (rows.length === 0) throw notFound('webhook', id);
        if (!rows[0]!.enabled) {
          await manager.query(
            `UPDATE webhook_deliveries SET state = 'failed', last_error = 'webhook disabled', finished_at = now()
             WHERE webhook_id = $1 AND state = 'pending'`,
            [id],
          );
        }
        return toValue(rows[0]!);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw badInput(`name: a webhook named "${name ?? current.name}" exists`, { field: 'name' });
      }
      throw error;
    }
  }

  /** Deletes a webhook with its deliveries and their attempts. */
  async delete(id: string): Promise<boolean> {
    const rows = returningRows(
      await this.deps.dataSource.query(`DELETE FROM webhooks WHERE id = $1 RETURNING id`, [id]),
    );
    return rows.length > 0;
  }

  /**
   * The outbox: one pending delivery for each enabled webhook subscribed to `type`. An event
   * id notified again (a redelivered alert, a re-synced variance) adds nothing. Answers the
   * deliveries written.
   */
  async notify(
    type: WebhookEvent,
    data: Record<string, unknown>,
    options: NotifyOptions = {},
  ): Promise<number> {
    const eventId = options.id ?? randomUUID();
    if (eventId.length === 0 || eventId.length > MAX_EVENT_ID) {
      throw new Error(`notify: an event id is 1 to ${MAX_EVENT_ID} characters`);
    }
    const now = this.deps.clock();
    const runner = options.manager ?? this.deps.dataSource;
    const rows = returningRows(
      await runner.query(
        `INSERT INTO webhook_deliveries
           (delivery_key, webhook_id, event_id, event_type, occurred_at, data, max_attempts, next_attempt_at)
         SELECT gen_random_uuid()::text, w.id, $1, $2, $3, $4::jsonb, $5, $6
         FROM webhooks w WHERE w.enabled AND $2 = ANY (w.events)
         ON CONFLICT (webhook_id, event_id) DO NOTHING RETURNING id`,
        [
          eventId,
          type,
          (options.occurredAt ?? now).toISOString(),
          wellFormedJson(data),
          this.deps.maxAttempts,
          now.toISOString(),
        ],
      ),
    );
    if (rows.length > 0) for (const listener of this.listeners) listener();
    return rows.length;
  }

  /**
   * Sends a `TEST` event to one webhook now — one attempt, not retried, recorded like any
   * delivery — and answers the delivery with its attempt. Scheduled a lease ahead, so no
   * worker takes it meanwhile.
   */
  async test(id: string): Promise<DeliveryValue> {
    const webhook = await this.row(id);
    const now = this.deps.clock();
    const rows: { id: string }[] = await this.deps.dataSource.query(
      `INSERT INTO webhook_deliveries
         (delivery_key, webhook_id, event_id, event_type, occurred_at, data, max_attempts, next_attempt_at)
       VALUES (gen_random_uuid()::text, $1, $2, 'TEST', $3, $4::jsonb, 1, $5) RETURNING id::text AS id`,
      [
        id,
        `test:${randomUUID()}`,
        now.toISOString(),
        wellFormedJson({ webhook_id: id, webhook_name: webhook.name }),
        new Date(now.getTime() + this.deps.sender.leaseMs).toISOString(),
      ],
    );
    const deliveryId = rows[0]!.id;
    await this.deps.sender.deliverNow(deliveryId);
    return (await this.deps.deliveries.get(deliveryId))!;
  }
}
