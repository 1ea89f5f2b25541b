import { databaseUnavailable } from '../db/transient';
import type { Principal } from '../auth/api-key.service';
import { authenticateRequest, type HttpServices, isRefusal } from './rest';

const PRINCIPAL: Principal = { keyId: 'k1', name: 'gateway', role: 'gateway' };

function servicesWith(authenticate: (secret: string) => Promise<Principal | null>) {
  const asked: string[] = [];
  const warned: unknown[] = [];
  const services = {
    env: { NODE_ENV: 'test' },
    logger: { warn: (...args: unknown[]) => warned.push(args), error: () => undefined },
    metrics: { httpRequests: { inc: () => undefined } },
    apiKeys: {
      authenticate: (secret: string) => {
        asked.push(secret);
        return authenticate(secret);
      },
    },
  } as unknown as HttpServices;
  return { services, asked };
}

describe('authenticateRequest', () => {
  it('should answer the principal itself for a known key', async () => {
    const { services, asked } = servicesWith(async () => PRINCIPAL);
    const checked = await authenticateRequest(services, 'Bearer pk_live', '10.0.0.1');
    expect(checked).toBe(PRINCIPAL);
    expect(isRefusal(checked)).toBe(false);
    expect(asked).toEqual(['pk_live']);
  });

  it('should refuse a missing or malformed header with 401 without asking for a key', async () => {
    const { services, asked } = servicesWith(async () => PRINCIPAL);
    for (const header of [undefined, '', 'Basic abc', 'Bearer']) {
      expect(await authenticateRequest(services, header, undefined)).toEqual({
        refused: 'unauthenticated',
        status: 401,
        body: {
          code: 'UNAUTHENTICATED',
          message: 'A valid API key is required: Authorization: Bearer <key>',
        },
      });
    }
    expect(asked).toEqual([]);
  });

  it('should refuse an unknown key with 401 naming it unknown', async () => {
    const { services } = servicesWith(async () => null);
    expect(await authenticateRequest(services, 'Bearer nope', undefined)).toEqual({
      refused: 'unauthenticated',
      status: 401,
      body: { code: 'UNAUTHENTICATED', message: 'Unknown or revoked API key' },
    });
  });

  it('should answer a key that cannot be checked with the error’s status and Retry-After', async () => {
    const { services } = servicesWith(async () => {
      throw databaseUnavailable(new Error('Connection terminated'));
    });
    expect(await authenticateRequest(services, 'Bearer pk_live', undefined)).toEqual({
      refused: 'error',
      status: 503,
      body: { code: 'UNAVAILABLE', message: 'The database is unavailable; retry later' },
      headers: { 'retry-after': '5' },
    });
  });
});
