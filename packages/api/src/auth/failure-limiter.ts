import { isIP } from 'node:net';

/** Settings of a {@link FailureLimiter}. */
export interface FailureLimiterOptions {
  /** Failed authentications a client may make in a burst (the bucket's size). */
  burst: number;
  /** Failed authentications per second a client earns back. */
  perSecond: number;
  /** Clients tracked at most; past it the one tracked longest is forgotten. */
  maxClients: number;
}

/**
 * Who a failed authentication is counted against: the socket's address, or the socket of a
 * gateway plugin's policy call and the client that call says it forwards for. The forwarded
 * client is whatever the caller sent: it splits a gateway's failures between its clients, and
 * the socket's own (looser) limit bounds them all together.
 */
export type FailingClient = string | { socket: string; forwardedFor: string };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket of failed authentications per client address. Every failure takes a token;
 * a client without one is refused before its key is even looked up, until the bucket has
 * refilled one. IPv6 clients are counted per /64 (one host usually owns the whole prefix),
 * IPv4-mapped IPv6 addresses as IPv4. The map of clients is bounded.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: FailureLimiterOptions) {}

  /**
   * Whether `client` may try a key it is not known to hold; when not, how many whole seconds
   * until it may (the `Retry-After`).
   */
  check(client: string, now: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const bucket = this.refilled(clientKey(client), now);
    if (!bucket || bucket.tokens >= 1) return { ok: true };
    const seconds = (1 - bucket.tokens) / this.options.perSecond;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
  }

  /** Counts one failed authentication of `client`. */
  fail(client: string, now: number): void {
    const key = clientKey(client);
    const bucket = this.refilled(key, now) ?? { tokens: this.options.burst, at: now };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    // Re-inserted, so the map's oldest entries are the clients that failed least recently.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    while (this.buckets.size > this.options.maxClients) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
  }

  /** Clients tracked, for tests and operators. */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, now: number): Bucket | undefined {
    const bucket = this.buckets.get(key);
    if (!bucket) return undefined;
    const earned = (Math.max(0, now - bucket.at) / 1000) * this.options.perSecond;
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + earned);
    bucket.at = now;
    if (bucket.tokens >= this.options.burst) {
      // A full bucket is the same as none: forget the client.
      this.buckets.delete(key);
      return undefined;
    }
    return bucket;
  }
}

/** The key a client address is counted under: IPv4 as is, IPv6 by its /64 prefix. */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  const [head, tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [
        ...headGroups,
        ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
        ...tailGroups,
      ]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`;
}
