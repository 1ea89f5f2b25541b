import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { forbidden, notFound, unauthenticated, badInput } from '../errors';
import { RefreshingValue } from '../cache/refreshing-value';
import { ApiKeyEntity } from './api-key.entity';
import { PERMISSIONS, type Permission, type Role, roleSchema } from './roles';

/** The caller of a request, resolved from its bearer key. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** How long a resolved key is trusted before it is read again (bounds revocation lag across replicas). */
const CACHE_TTL_MS = 5_000;
/** From this age a use of the key reads it again in the background, so requests never wait. */
const CACHE_REFRESH_MS = 2_500;
/** Keys resolved at most; past it the cache starts over (random keys cannot grow it). */
const CACHE_MAX_KEYS = 10_000;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Throws UNAUTHENTICATED without a principal, FORBIDDEN when its role lacks the permission. */
export function assertPermission(principal: Principal | null, permission: Permission): Principal {
  if (!principal) throw unauthenticated();
  const allowed: readonly Role[] = PERMISSIONS[permission];
  if (!allowed.includes(principal.role)) throw forbidden(principal.role, allowed);
  return principal;
}

export class ApiKeyService {
  private readonly repository: Repository<ApiKeyEntity>;
  private readonly cache = new Map<string, RefreshingValue<Principal | null>>();

  constructor(
    dataSource: DataSource,
    /** Told of a background re-read of a key that failed (the key answers as last read). */
    private readonly onRefreshError?: (error: unknown) => void,
  ) {
    this.repository = dataSource.getRepository(ApiKeyEntity);
  }

  /** Creates a key; the secret is returned once and only its hash is stored. */
  async create(name: string, role: string): Promise<{ id: string; role: Role; secret: string }> {
    const parsedRole = roleSchema.safeParse(role);
    if (!parsedRole.success) {
      throw badInput(
        `role must be one of ${roleSchema.options.join(', ')} (got ${JSON.stringify(role)})`,
      );
    }
    if (!name.trim()) throw badInput('name must not be empty');
    const secret = `purser_${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    await this.repository.insert({
      id,
      name: name.trim(),
      role: parsedRole.data,
      secretHash: hashSecret(secret),
      secretPrefix: secret.slice(0, 14),
    });
    return { id, role: parsedRole.data, secret };
  }

  /** Seeds a known secret (PURSER_ADMIN_TOKEN) as an admin key; idempotent. */
  async seedAdmin(secret: string): Promise<void> {
    const secretHash = hashSecret(secret);
    const existing = await this.repository.findOneBy({ secretHash });
    if (existing) return;
    await this.repository.insert({
      id: randomUUID(),
      name: 'bootstrap admin (PURSER_ADMIN_TOKEN)',
      role: 'admin',
      secretHash,
      secretPrefix: secret.slice(0, 4),
    });
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.repository.update(
      { id, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    if (!result.affected) {
      const exists = await this.repository.existsBy({ id });
      if (!exists) throw notFound('API key', id);
      return false;
    }
    for (const [hash, entry] of this.cache) if (entry.peek()?.keyId === id) this.cache.delete(hash);
    return true;
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.repository.find({ order: { createdAt: 'ASC' } });
  }

  /** Resolves a bearer secret to its principal; null when unknown or revoked. */
  authenticate(secret: string): Promise<Principal | null> {
    const secretHash = hashSecret(secret);
    let entry = this.cache.get(secretHash);
    if (!entry) {
      if (this.cache.size >= CACHE_MAX_KEYS) this.cache.clear();
      entry = new RefreshingValue(
        async () => {
          const key = await this.repository.findOneBy({ secretHash, revokedAt: IsNull() });
          return key ? { keyId: key.id, name: key.name, role: key.role } : null;
        },
        {
          refreshAfterMs: CACHE_REFRESH_MS,
          expireAfterMs: CACHE_TTL_MS,
          onRefreshError: this.onRefreshError,
        },
      );
      this.cache.set(secretHash, entry);
    }
    return entry.get();
  }
}

/** Extracts the secret of an `Authorization: Bearer <key>` header. */
export function bearerSecret(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
