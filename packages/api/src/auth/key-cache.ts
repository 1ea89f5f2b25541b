/** What a {@link KeyCache} keeps of a key the database confirmed. */
export interface VerifiedKey<T> {
  value: T;
  /** When (by the cache's clock) the read that answered it started. */
  readAt: number;
}

/** Bounds of a {@link KeyCache}. */
export interface KeyCacheOptions {
  /** Keys the database confirmed, kept at most; past it the least recently used goes. */
  maxVerified: number;
  /** Secrets the database did not know, kept at most; past it the oldest goes. */
  maxUnknown: number;
  /** How long (ms) a secret the database did not know is answered as unknown without a read. */
  unknownMs: number;
}

/**
 * The API keys a replica has resolved, by secret hash: the keys the database confirmed (least
 * recently used evicted) apart from the secrets it did not know (oldest evicted, short-lived).
 * Unknown secrets — thousands of random ones — fill only their own map, so they can neither
 * evict a working key nor grow memory past the bounds.
 */
export class KeyCache<T> {
  private readonly verified = new Map<string, VerifiedKey<T>>();
  private readonly unknown = new Map<string, number>();

  constructor(private readonly options: KeyCacheOptions) {}

  /** The confirmed key of `hash`, marked as the most recently used. */
  verifiedKey(hash: string): VerifiedKey<T> | undefined {
    const entry = this.verified.get(hash);
    if (entry) {
      // A Map iterates in insertion order: re-inserting moves the key to the young end.
      this.verified.delete(hash);
      this.verified.set(hash, entry);
    }
    return entry;
  }

  /** Whether `hash` was read as unknown less than `unknownMs` before `now`. */
  isKnownUnknown(hash: string, now: number): boolean {
    const until = this.unknown.get(hash);
    if (until === undefined) return false;
    if (until > now) return true;
    this.unknown.delete(hash);
    return false;
  }

  /** Keeps what a read answered: the key, or that there is none (unknown or revoked). */
  remember(hash: string, value: T | null, readAt: number): void {
    if (value === null) {
      this.verified.delete(hash);
      this.unknown.delete(hash);
      this.unknown.set(hash, readAt + this.options.unknownMs);
      evictOldest(this.unknown, this.options.maxUnknown);
      return;
    }
    this.unknown.delete(hash);
    this.verified.delete(hash);
    this.verified.set(hash, { value, readAt });
    evictOldest(this.verified, this.options.maxVerified);
  }

  /** Forgets `hash` either way (a key created or seeded with that secret). */
  forget(hash: string): void {
    this.verified.delete(hash);
    this.unknown.delete(hash);
  }

  /** Forgets every confirmed key `matches` picks (a revoked key). */
  forgetWhere(matches: (value: T) => boolean): void {
    for (const [hash, entry] of this.verified) if (matches(entry.value)) this.verified.delete(hash);
  }

  /** Entries kept, for tests and operators. */
  get size(): { verified: number; unknown: number } {
    return { verified: this.verified.size, unknown: this.unknown.size };
  }
}

function evictOldest(map: Map<string, unknown>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
