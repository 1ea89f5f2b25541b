import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashSecret } from '../auth/api-key.service';
import { KeyCache } from '../auth/key-cache';
import { type Scope, scopeSchema } from '../attribution/scope';
import { returningRows } from '../db/returning';
import { badInput, notFound } from '../errors';

export interface VirtualKey {
  id: string;
  name: string;
  /** Attribution bound to the key; it overrides what a request claims. */
  attribution: Scope;
  /** Model patterns (`*`, `prefix*`, exact); empty allows every model the policy allows. */
  allowedModels: string[];
  secretPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const CACHE_TTL_MS = 5_000;

function toVirtualKey(row: Record<string, unknown>): VirtualKey {
  return {
    id: String(row.id),
    name: String(row.name),
    attribution: row.attribution as Scope,
    allowedModels: row.allowed_models as string[],
    secretPrefix: String(row.secret_prefix),
    createdAt: new Date(row.created_at as string),
    revokedAt: row.revoked_at ? new Date(row.revoked_at as string) : null,
  };
}

/**
 * Virtual keys: secrets handed to developers or apps that a gateway passes to `authorize`.
 * Purser resolves them to a fixed attribution, model list and budgets, so a leaked key can
 * never spend outside its limits.
 */
export class VirtualKeyService {
  /** Keys read by secret hash; unknown secrets apart, so they cannot evict working keys. */
  private readonly cache = new KeyCache<VirtualKey>({
    maxVerified: 10_000,
    maxUnknown: 10_000,
    unknownMs: CACHE_TTL_MS,
  });

  constructor(
    private readonly dataSource: DataSource,
    /** Milliseconds; tests move it. */
    private readonly clock: () => number = Date.now,
  ) {}

  async create(
    input: { name: string; attribution: Scope; allowedModels: string[] },
    actor: string | null,
  ): Promise<VirtualKey & { secret: string }> {
    if (!input.name.trim()) throw badInput('name must not be empty');
    const { virtual_key: _ignored, ...rest } = input.attribution;
    const attribution = scopeSchema.safeParse(rest);
    if (!attribution.success)
      throw badInput(
        `attribution: ${attribution.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    const id = randomUUID();
    const secret = `pvk_${randomBytes(24).toString('base64url')}`;
    const rows = await this.dataSource.query(
      `INSERT INTO virtual_keys (id, name, secret_hash, secret_prefix, attribution, allowed_models, created_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::text[], $7) RETURNING *`,
      [
        id,
        input.name.trim(),
        hashSecret(secret),
        secret.slice(0, 10),
        JSON.stringify(attribution.data),
        input.allowedModels,
        actor,
      ],
    );
    return { ...toVirtualKey(rows[0]), secret };
  }

  async revoke(id: string): Promise<boolean> {
    const rows = returningRows(
      await this.dataSource.query(
        `UPDATE virtual_keys SET revoked_at = now() WHERE id::text = $1 AND revoked_at IS NULL RETURNING id`,
        [id],
      ),
    );
    this.cache.forgetWhere((key) => key.id === id);
    if (rows.length > 0) return true;
    const exists = await this.dataSource.query(`SELECT 1 FROM virtual_keys WHERE id::text = $1`, [
      id,
    ]);
    if (exists.length === 0) throw notFound('virtual key', id);
    return false;
  }

  async list(): Promise<VirtualKey[]> {
    return (await this.dataSource.query(`SELECT * FROM virtual_keys ORDER BY created_at, id`)).map(
      toVirtualKey,
    );
  }

  /** Resolves a key's secret; null when unknown or revoked. Cached briefly for the hot path. */
  async resolve(secret: string): Promise<VirtualKey | null> {
    const hash = hashSecret(secret);
    const now = this.clock();
    const known = this.cache.verifiedKey(hash);
    if (known && now - known.readAt < CACHE_TTL_MS) return known.value;
    if (this.cache.isKnownUnknown(hash, now)) return null;
    const rows = await this.dataSource.query(
      `SELECT * FROM virtual_keys WHERE secret_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const key = rows.length > 0 ? toVirtualKey(rows[0]) : null;
    this.cache.remember(hash, key, now);
    return key;
  }
}
