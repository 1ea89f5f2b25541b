import { randomUUID } from 'node:crypto';
import { getBillingAdapterFactory } from '@purser/adapters';
import type { DataSource } from 'typeorm';
import { returningRows } from '../db/returning';
import { badInput, notFound } from '../errors';
import { checkSourceInput, type BillingSourceFields } from './billing-source-input';
import { SecretBox } from './secret-box';

/** A billing source as the API shows it: never its key, only whether it has one. */
export interface BillingSourceValue {
  id: string;
  provider: string;
  name: string;
  baseUrl: string | null;
  /** The provider's public API when no baseUrl was given (null for file sources). */
  effectiveBaseUrl: string | null;
  hasApiKey: boolean;
  lastSyncedAt: Date | null;
}

interface SourceRow {
  id: string;
  provider: string;
  name: string;
  base_url: string | null;
  api_key_ciphertext: string | null;
  last_synced_at: Date | null;
}

/** Thrown at start when a stored key needs PURSER_SECRET_KEY and it is missing or wrong. */
export class BillingSecretError extends Error {
  readonly code = 'BILLING_SECRET_INVALID';
}

const COLUMNS = 'id, provider, name, base_url, api_key_ciphertext, last_synced_at';

function toValue(row: SourceRow): BillingSourceValue {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    baseUrl: row.base_url,
    effectiveBaseUrl: row.base_url ?? getBillingAdapterFactory(row.provider).defaultBaseUrl ?? null,
    hasApiKey: row.api_key_ciphertext !== null,
    lastSyncedAt: row.last_synced_at,
  };
}

/**
 * Billing sources: one configured provider account each. The API key is write-only: it is
 * sealed with {@link SecretBox} before it is stored and opened only to sync.
 */
export class BillingSourceService {
  private readonly box: SecretBox | null;

  constructor(
    private readonly dataSource: DataSource,
    secret: string | undefined,
  ) {
    this.box = secret ? new SecretBox(secret) : null;
  }

  /**
   * Checks at start that every stored key can be opened: a missing or changed
   * PURSER_SECRET_KEY is a start error naming the source, not a failed sync days later.
   */
  async checkSecret(): Promise<void> {
    const rows: SourceRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM billing_sources WHERE api_key_ciphertext IS NOT NULL ORDER BY name`,
    );
    if (rows.length === 0) return;
    if (!this.box) {
      throw new BillingSecretError(
        `PURSER_SECRET_KEY is not set, but billing source "${rows[0]!.name}" has an API key encrypted with it; set the secret it was created with`,
      );
    }
    for (const row of rows) {
      try {
        this.box.open(row.api_key_ciphertext!, row.id);
      } catch {
        throw new BillingSecretError(
          `PURSER_SECRET_KEY cannot decrypt the API key of billing source "${row.name}": the secret is not the one the key was stored with`,
        );
      }
    }
  }

  async list(): Promise<BillingSourceValue[]> {
    const rows: SourceRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM billing_sources ORDER BY name`,
    );
    return rows.map(toValue);
  }

  async get(id: string): Promise<BillingSourceValue> {
    return toValue(await this.row(id));
  }

  private async row(id: string): Promise<SourceRow> {
    const rows: SourceRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM billing_sources WHERE id = $1`,
      [id],
    );
    if (rows.length === 0) throw notFound('billing source', id);
    return rows[0]!;
  }

  private seal(apiKey: string, id: string): string {
    if (!this.box) {
      throw badInput('apiKey: set PURSER_SECRET_KEY (32+ characters) to store API keys', {
        field: 'apiKey',
      });
    }
    return this.box.seal(apiKey, id);
  }

  async create(input: BillingSourceFields): Promise<BillingSourceValue> {
    const fields = checkSourceInput(input);
    const id = randomUUID();
    const sealed = fields.apiKey ? this.seal(fields.apiKey, id) : null;
    const rows: SourceRow[] = await this.dataSource.query(
      `INSERT INTO billing_sources (id, provider, name, base_url, api_key_ciphertext)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
      [id, fields.provider, fields.name, fields.baseUrl ?? null, sealed],
    );
    if (rows.length === 0) {
      throw badInput(`name: a billing source named "${fields.name}" exists`, { field: 'name' });
    }
    return toValue(rows[0]!);
  }

  /**
   * Updates a source; an absent apiKey keeps the stored one (not to a new baseUrl: the key is
   * asked again), an empty string removes it.
   */
  async update(id: string, input: BillingSourceFields): Promise<BillingSourceValue> {
    const current = await this.row(id);
    if (input.provider !== current.provider) {
      throw badInput('provider: cannot change; create another source', { field: 'provider' });
    }
    const fields = checkSourceInput(input);
    const keepKey = input.apiKey === undefined || input.apiKey === null;
    // A kept key follows the source to a new baseUrl only when given again: else an admin
    // could point the source at a server of theirs and read the write-only key there.
    if (keepKey && current.api_key_ciphertext !== null && fields.baseUrl !== current.base_url) {
      throw badInput(
        'apiKey: give the API key again to change baseUrl (a stored key is only sent to the URL it was given for)',
        { field: 'apiKey' },
      );
    }
    const sealed = keepKey
      ? current.api_key_ciphertext
      : fields.apiKey
        ? this.seal(fields.apiKey, id)
        : null;
    try {
      const rows = returningRows<SourceRow>(
        await this.dataSource.query(
          `UPDATE billing_sources SET name = $2, base_url = $3, api_key_ciphertext = $4, updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, fields.name, fields.baseUrl ?? null, sealed],
        ),
      );
      if (rows.length === 0) throw notFound('billing source', id);
      return toValue(rows[0]!);
    } catch (error) {
      if ((error as { code?: string }).code === '23505') {
        throw badInput(`name: a billing source named "${fields.name}" exists`, { field: 'name' });
      }
      throw error;
    }
  }

  /** Deletes a source and the cost lines it synced. */
  async delete(id: string): Promise<boolean> {
    const rows = returningRows(
      await this.dataSource.query(`DELETE FROM billing_sources WHERE id = $1 RETURNING id`, [id]),
    );
    return rows.length > 0;
  }

  /** The decrypted key, for the sync only; never returned by the API nor logged. */
  async credentials(id: string): Promise<{ source: BillingSourceValue; apiKey: string | null }> {
    const row = await this.row(id);
    const apiKey =
      row.api_key_ciphertext === null
        ? null
        : (
            this.box ??
            (() => {
              throw new BillingSecretError('PURSER_SECRET_KEY is not set');
            })()
          ).open(row.api_key_ciphertext, row.id);
    return { source: toValue(row), apiKey };
  }

  async markSynced(id: string, at: Date): Promise<void> {
    await this.dataSource.query(`UPDATE billing_sources SET last_synced_at = $2 WHERE id = $1`, [
      id,
      at.toISOString(),
    ]);
  }
}
