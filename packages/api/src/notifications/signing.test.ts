import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { generateSecret, signatureHeader, verifySignature } from './signing';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret-0123456789';

  it('should sign HMAC-SHA256 over "<t>.<body>" in hex', () => {
    const body = '{"id":"e1"}';
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('should verify its own signature on any body within the window, and nothing else', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
        fc.integer({ min: -300, max: 300 }),
        (body, timestamp, skew) => {
          const header = signatureHeader(secret, timestamp, body);
          expect(verifySignature(header, body, secret, timestamp + skew)).toEqual({
            ok: true,
            timestamp,
          });
          expect(verifySignature(header, `${body} `, secret, timestamp)).toEqual({
            ok: false,
            reason: 'mismatch',
          });
          expect(verifySignature(header, body, `${secret}x`, timestamp).ok).toBe(false);
        },
      ),
    );
  });

  it('should refuse a replay outside the tolerance and a malformed header', () => {
    const header = signatureHeader(secret, 1_700_000_000, 'b');
    expect(verifySignature(header, 'b', secret, 1_700_000_301)).toEqual({
      ok: false,
      reason: 'stale',
    });
    expect(verifySignature(header, 'b', secret, 1_700_000_000 - 301).ok).toBe(false);
    for (const bad of [undefined, '', 't=1', 'v1=abc', 't=x,v1=00', `${header},x=1=2`]) {
      expect(verifySignature(bad, 'b', secret, 1_700_000_000)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
  });

  it('should generate distinct secrets of 32 random bytes', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSecret()).not.toBe(a);
  });
});
