import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { badInput, forbidden, notFound, PurserError, unauthenticated } from '../errors';
import { isTransientDatabaseError } from '../db/transient';
import { ApiKeyEntity } from './api-key.entity';
import { clientKey, type FailingClient, FailureLimiter } from './failure-limiter';
import { KeyCache } from './key-cache';
import { PERMISSIONS, type Permission, type Role, roleSchema } from './roles';

/** The caller of a request, resolved from its bearer key. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

/** Keys the database confirmed, kept at most per replica (least recently used evicted). */
const MAX_VERIFIED_KEYS = 10_000;
/** Secrets the database did not know, kept at most (oldest evicted). */
const MAX_UNKNOWN_KEYS = 10_000;
/** Client addresses whose failed authentications are counted at most (gateways apart). */
const MAX_LIMITED_CLIENTS = 10_000;

/** How a replica trusts what it read of its API keys. */
export interface ApiKeyServiceOptions {
  /** How long (ms) a read key is trusted; half-way through a use reads it again in the background. */
  cacheMs: number;
  /** How long (ms) after its last read a verified key is still answered while reads fail. */
  staleMs: number;
  /** Failed authentications per client address: burst, and refill per second. */
  failureBurst: number;
  failuresPerSecond: number;
  /**
   * Failed authentications in a burst of a gateway's address (the socket of a policy call that
   * names the client it forwards for), all its clients together; refilled in the time a
   * client's burst is. Default: 10 clients' bursts.
   */
  gatewayFailureBurst?: number;
  /** Monotonic-enough milliseconds; tests move it. */
  clock?: () => number;
  /** Told of a background re-read of a key that failed (the key answers as last read). */
  onRefreshError?: (error: unknown) => void;
  /** Told when a key is answered from its last read because the database cannot be reached. */
  onStale?: (keyId: string, ageMs: number, error: unknown) => void;
  /** Told of each failed authentication (`unknown`, `rate_limited`, `unavailable`). */
  onFailure?: (reason: 'unknown' | 'rate_limited' | 'unavailable') => void;
}

export const DEFAULT_API_KEY_OPTIONS: ApiKeyServiceOptions = {
  cacheMs: 5_000,
  staleMs: 300_000,
  failureBurst: 20,
  failuresPerSecond: 1,
};

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
  private readonly cache: KeyCache<Principal>;
  private readonly limiter: FailureLimiter;
  private readonly gatewayLimiter: FailureLimiter;
  private readonly reads = new Map<string, Promise<Principal | null>>();
  /** Bumped by a revocation: a read that started before it is not kept. */
  private generation = 0;
  private readonly clock: () => number;

  constructor(
    dataSource: DataSource,
    private readonly options: ApiKeyServiceOptions = DEFAULT_API_KEY_OPTIONS,
  ) {
    this.repository = dataSource.getRepository(ApiKeyEntity);
    this.clock = options.clock ?? Date.now;
    this.cache = new KeyCache({
      maxVerified: MAX_VERIFIED_KEYS,
      maxUnknown: MAX_UNKNOWN_KEYS,
      unknownMs: options.cacheMs,
    });
    this.limiter = new FailureLimiter({
      burst: options.failureBurst,
      perSecond: options.failuresPerSecond,
      maxClients: MAX_LIMITED_CLIENTS,
    });
    const gatewayBurst = options.gatewayFailureBurst ?? options.failureBurst * 10;
    this.gatewayLimiter = new FailureLimiter({
      burst: gatewayBurst,
      perSecond: (options.failuresPerSecond * gatewayBurst) / options.failureBurst,
      maxClients: MAX_LIMITED_CLIENTS,
    });
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
    // A use of the secret before it was seeded may have been remembered (or be being read) as
    // unknown.
    this.forgetReads();
    this.cache.forget(secretHash);
  }

  /**
   * Reads in flight began before a key changed: none of them may answer a later request or
   * be remembered (each request after this starts a read of its own).
   */
  private forgetReads(): void {
    this.generation += 1;
    this.reads.clear();
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
    this.forgetReads();
    this.cache.forgetWhere((principal) => principal.keyId === id);
    return true;
  }

  list(): Promise<ApiKeyEntity[]> {
    return this.repository.find({ order: { createdAt: 'ASC' } });
  }

  /**
   * Resolves a bearer secret to its principal; null when unknown or revoked. `client` (the
   * remote address, or a gateway's and the client it forwards for) is limited in failed
   * authentications: past its burst it gets RATE_LIMITED, and its keys are not looked up. A
   * key verified before the database became unreachable is answered from its last read for
   * `staleMs`; any other key cannot be verified meanwhile (UNAVAILABLE).
   */
  async authenticate(secret: string, client?: FailingClient): Promise<Principal | null> {
    const hash = hashSecret(secret);
    const now = this.clock();
    const known = this.cache.verifiedKey(hash);
    if (known) {
      const age = now - known.readAt;
      if (age < this.options.cacheMs) {
        if (age >= this.options.cacheMs / 2)
          this.read(hash).catch((error: unknown) => this.options.onRefreshError?.(error));
        return known.value;
      }
      try {
        const principal = await this.read(hash);
        return principal ?? this.failed(client, now);
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        const staleAge = this.clock() - known.readAt;
        if (staleAge < this.options.staleMs) {
          this.options.onStale?.(known.value.keyId, staleAge, error);
          return known.value;
        }
        throw this.unavailable(error);
      }
    }
    if (this.cache.isKnownUnknown(hash, now)) return this.failed(client, now);
    if (client !== undefined) this.admit(client, now);
    let principal: Principal | null;
    try {
      principal = await this.read(hash);
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      throw this.unavailable(error);
    }
    return principal ?? this.failed(client, now);
  }

  /** Reads the key of `hash` (one read at a time per secret) and remembers what it found. */
  private read(hash: string): Promise<Principal | null> {
    const running = this.reads.get(hash);
    if (running) return running;
    const generation = this.generation;
    const started = this.clock();
    const reading = this.repository
      .findOneBy({ secretHash: hash, revokedAt: IsNull() })
      .then((key) => {
        const principal = key ? { keyId: key.id, name: key.name, role: key.role } : null;
        if (generation === this.generation) this.cache.remember(hash, principal, started);
        return principal;
      })
      .finally(() => {
        if (this.reads.get(hash) === reading) this.reads.delete(hash);
      });
    this.reads.set(hash, reading);
    return reading;
  }

  /** A secret that is not a working key: counted against its client, answered as unknown. */
  private failed(client: FailingClient | undefined, now: number): null {
    if (client !== undefined) {
      this.admit(client, now);
      for (const [limiter, key] of this.bucketsOf(client)) limiter.fail(key, now);
    }
    this.options.onFailure?.('unknown');
    return null;
  }

  /** Throws RATE_LIMITED when `client`, or the gateway it comes through, has no failure left. */
  private admit(client: FailingClient, now: number): void {
    let retryAfterSeconds = 0;
    for (const [limiter, key] of this.bucketsOf(client)) {
      const allowed = limiter.check(key, now);
      if (!allowed.ok) retryAfterSeconds = Math.max(retryAfterSeconds, allowed.retryAfterSeconds);
    }
    if (retryAfterSeconds > 0) throw this.rateLimited(retryAfterSeconds);
  }

  /**
   * The buckets a failure of `client` takes a token from: its address; through a gateway, the
   * gateway's address (looser: all its clients share it, and the forwarded client is only the
   * caller's word) and the client it forwards for there.
   */
  private bucketsOf(client: FailingClient): [FailureLimiter, string][] {
    if (typeof client === 'string') return [[this.limiter, client]];
    const forwarded = `${clientKey(client.socket)} for ${clientKey(client.forwardedFor)}`;
    return [
      [this.gatewayLimiter, client.socket],
      [this.limiter, forwarded],
    ];
  }

  private rateLimited(retryAfterSeconds: number): PurserError {
    this.options.onFailure?.('rate_limited');
    return new PurserError({
      code: 'RATE_LIMITED',
      message: `Too many failed authentications from this address; retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
      isRetryable: true,
    });
  }

  private unavailable(cause: unknown): PurserError {
    this.options.onFailure?.('unavailable');
    return new PurserError({
      code: 'UNAVAILABLE',
      message: 'The API key cannot be verified: the database is unavailable; retry later',
      cause,
      isRetryable: true,
    });
  }
}

/**
 * The key a caller's holds are bound to when it sends usage or releases a hold: its own, or
 * none for an admin (who may settle and release any hold).
 */
export function holdKeyOf(principal: Principal): string | undefined {
  return principal.role === 'admin' ? undefined : principal.keyId;
}

/** Extracts the secret of an `Authorization: Bearer <key>` header. */
export function bearerSecret(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
