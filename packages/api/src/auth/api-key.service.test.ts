import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { PurserError } from '../errors';
import { ApiKeyService, hashSecret } from './api-key.service';
import { clientKey, FailureLimiter } from './failure-limiter';
import { KeyCache } from './key-cache';

/** A database of API keys that records every read and can be taken down. */
class FakeKeys {
  rows = new Map<string, { id: string; name: string; role: 'gateway'; revokedAt: Date | null }>();
  reads = 0;
  down = false;
  /** While set, reads wait for it (a read in flight). */
  gate: Promise<void> | null = null;

  add(secret: string, id: string) {
    this.rows.set(hashSecret(secret), { id, name: id, role: 'gateway', revokedAt: null });
  }

  dataSource(): DataSource {
    const repository = {
      findOneBy: async (where: { secretHash: string }) => {
        this.reads += 1;
        const row = this.rows.get(where.secretHash);
        const found = row && row.revokedAt === null ? { ...row } : null;
        if (this.gate) await this.gate;
        if (this.down)
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return found;
      },
      update: async (where: { id: string }, values: { revokedAt: Date }) => {
        const row = [...this.rows.values()].find((each) => each.id === where.id);
        if (!row || row.revokedAt) return { affected: 0 };
        row.revokedAt = values.revokedAt;
        return { affected: 1 };
      },
      existsBy: async (where: { id: string }) =>
        [...this.rows.values()].some((each) => each.id === where.id),
    };
    return { getRepository: () => repository } as unknown as DataSource;
  }
}

function setup(options: Partial<ConstructorParameters<typeof ApiKeyService>[1]> = {}) {
  const keys = new FakeKeys();
  let now = 1_000_000;
  const service = new ApiKeyService(keys.dataSource(), {
    cacheMs: 5_000,
    staleMs: 60_000,
    failureBurst: 3,
    failuresPerSecond: 1,
    clock: () => now,
    ...options,
  });
  return { keys, service, advance: (ms: number) => (now += ms) };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof PurserError ? error.code : String(error)),
  );

describe('ApiKeyService.authenticate', () => {
  it('should not answer a key revoked while a read of it was in flight with that read', async () => {
    const { keys, service } = setup();
    keys.add('purser_gone', 'gone');
    let open!: () => void;
    keys.gate = new Promise((resolve) => (open = resolve));
    // A read that began before the revocation (it saw the key as working)...
    const before = service.authenticate('purser_gone');
    expect(await service.revoke('gone')).toBe(true);
    // ...must not answer a request that arrives after it.
    const after = service.authenticate('purser_gone');
    open();
    keys.gate = null;
    await before;
    expect(await after).toBeNull();
  });

  it('should read an unknown secret once while it is remembered as unknown', async () => {
    const { keys, service, advance } = setup({ failureBurst: 100 });
    for (let attempt = 0; attempt < 5; attempt += 1)
      expect(await service.authenticate('purser_nope', '10.0.0.1')).toBeNull();
    expect(keys.reads).toBe(1);
    advance(5_000);
    expect(await service.authenticate('purser_nope', '10.0.0.1')).toBeNull();
    expect(keys.reads).toBe(2);
  });

  it('should keep a verified key through more unknown secrets than the cache holds', async () => {
    const { keys, service } = setup({ failureBurst: 100_000 });
    keys.add('purser_good', 'good');
    expect(await service.authenticate('purser_good')).toMatchObject({ keyId: 'good' });
    for (let index = 0; index < 12_000; index += 1)
      await service.authenticate(`purser_random_${index}`, '10.0.0.2');
    const reads = keys.reads;
    expect(await service.authenticate('purser_good')).toMatchObject({ keyId: 'good' });
    expect(keys.reads).toBe(reads);
  });

  it('should refuse a client past its burst of failures without reading, and let it try again once refilled', async () => {
    const { keys, service, advance } = setup();
    keys.add('purser_good', 'good');
    expect(await service.authenticate('purser_good', '10.0.0.3')).not.toBeNull();
    for (let attempt = 0; attempt < 3; attempt += 1)
      expect(await service.authenticate(`purser_bad_${attempt}`, '10.0.0.3')).toBeNull();
    const reads = keys.reads;
    await expect(service.authenticate('purser_bad_new', '10.0.0.3')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    expect(keys.reads).toBe(reads);
    // A verified key, and another client, are not limited.
    expect(await service.authenticate('purser_good', '10.0.0.3')).not.toBeNull();
    expect(await service.authenticate('purser_bad_new', '10.0.0.4')).toBeNull();
    advance(1_000);
    expect(await service.authenticate('purser_bad_other', '10.0.0.3')).toBeNull();
  });

  it("should limit a gateway's socket whatever client it names, each client to its own burst", async () => {
    const { keys, service, advance } = setup({ gatewayFailureBurst: 6 });
    const through = (forwardedFor: string) => ({ socket: '10.0.0.6', forwardedFor });
    // A client past its own burst is refused; another client of the same gateway is not.
    for (let attempt = 0; attempt < 3; attempt += 1)
      expect(await service.authenticate(`purser_a_${attempt}`, through('198.51.100.1'))).toBeNull();
    expect(await codeOf(service.authenticate('purser_a_3', through('198.51.100.1')))).toBe(
      'RATE_LIMITED',
    );
    expect(await service.authenticate('purser_b_0', through('198.51.100.2'))).toBeNull();
    // Naming a new client each time: the socket's 6 are spent (3 + 1 + 2 more), then refused
    // without a read.
    for (let attempt = 0; attempt < 2; attempt += 1)
      expect(await service.authenticate(`purser_c_${attempt}`, through(`c${attempt}`))).toBeNull();
    const reads = keys.reads;
    await expect(service.authenticate('purser_c_2', through('c2'))).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    expect(keys.reads).toBe(reads);
    // The same address without a forwarded client, or another socket, has its own bucket.
    expect(await service.authenticate('purser_d_0', '10.0.0.6')).toBeNull();
    const otherSocket = { socket: '10.0.0.8', forwardedFor: 'c3' };
    expect(await service.authenticate('purser_d_1', otherSocket)).toBeNull();
    // The socket earns its burst back in the time a client does (3 s): 2 a second.
    advance(1_000);
    expect(await service.authenticate('purser_e_0', through('e0'))).toBeNull();
    expect(await service.authenticate('purser_e_1', through('e1'))).toBeNull();
    expect(await codeOf(service.authenticate('purser_e_2', through('e2')))).toBe('RATE_LIMITED');
  });

  it('should never admit more failures than the socket and each named client have, whatever clients are named', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 70 }), fc.ipV4(), fc.ipV6()), {
          maxLength: 40,
        }),
        async (named) => {
          const { keys, service } = setup({ failureBurst: 2, gatewayFailureBurst: 5 });
          const admitted = new Map<string, number>();
          let total = 0;
          for (const [index, forwardedFor] of named.entries()) {
            const before = keys.reads;
            const code = await codeOf(
              service.authenticate(`purser_f_${index}`, { socket: '10.0.0.7', forwardedFor }),
            );
            if (code === 'RATE_LIMITED') {
              expect(keys.reads).toBe(before);
              continue;
            }
            expect(code).toBe('resolved');
            total += 1;
            const client = clientKey(forwardedFor);
            admitted.set(client, (admitted.get(client) ?? 0) + 1);
          }
          expect(total).toBeLessThanOrEqual(5);
          for (const count of admitted.values()) expect(count).toBeLessThanOrEqual(2);
          expect(keys.reads).toBe(total);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('should answer a verified key from its last read while the database is down, for staleMs at most', async () => {
    const { keys, service, advance } = setup({ staleMs: 30_000 });
    keys.add('purser_good', 'good');
    expect(await service.authenticate('purser_good')).toMatchObject({ keyId: 'good' });
    keys.down = true;
    advance(10_000);
    expect(await service.authenticate('purser_good')).toMatchObject({ keyId: 'good' });
    // A secret never verified cannot be now.
    expect(await codeOf(service.authenticate('purser_other', '10.0.0.5'))).toBe('UNAVAILABLE');
    advance(20_000);
    expect(await codeOf(service.authenticate('purser_good'))).toBe('UNAVAILABLE');
  });

  it('should apply a revocation at the first read that succeeds', async () => {
    const { keys, service, advance } = setup();
    keys.add('purser_good', 'good');
    await service.authenticate('purser_good');
    keys.down = true;
    keys.rows.get(hashSecret('purser_good'))!.revokedAt = new Date();
    advance(6_000);
    expect(await service.authenticate('purser_good')).not.toBeNull();
    keys.down = false;
    expect(await service.authenticate('purser_good')).toBeNull();
  });

  it('should not serve a stale key when staleMs is 0', async () => {
    const { keys, service, advance } = setup({ staleMs: 0 });
    keys.add('purser_good', 'good');
    await service.authenticate('purser_good');
    keys.down = true;
    advance(5_000);
    expect(await codeOf(service.authenticate('purser_good'))).toBe('UNAVAILABLE');
  });
});

describe('KeyCache', () => {
  it('should evict the least recently used verified key and the oldest unknown one', () => {
    const cache = new KeyCache<string>({ maxVerified: 2, maxUnknown: 2, unknownMs: 100 });
    cache.remember('a', 'A', 0);
    cache.remember('b', 'B', 0);
    cache.verifiedKey('a');
    cache.remember('c', 'C', 0);
    expect(cache.verifiedKey('b')).toBeUndefined();
    expect(cache.verifiedKey('a')?.value).toBe('A');
    for (const hash of ['x', 'y', 'z']) cache.remember(hash, null, 0);
    expect(cache.size).toEqual({ verified: 2, unknown: 2 });
    expect(cache.isKnownUnknown('x', 10)).toBe(false);
    expect(cache.isKnownUnknown('z', 99)).toBe(true);
    expect(cache.isKnownUnknown('z', 100)).toBe(false);
  });
});

describe('FailureLimiter', () => {
  it('should bound the clients it tracks', () => {
    const limiter = new FailureLimiter({ burst: 1, perSecond: 1, maxClients: 3 });
    for (let index = 0; index < 10; index += 1) limiter.fail(`10.0.1.${index}`, 0);
    expect(limiter.size).toBe(3);
  });

  it.each([
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['10.0.0.1', '10.0.0.1'],
  ])('should count %s as %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
