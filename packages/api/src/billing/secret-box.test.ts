import { SecretBox } from './secret-box';

const SECRET = 'x'.repeat(32);

describe('SecretBox', () => {
  it('should open what it sealed, with a fresh nonce each time', () => {
    const box = new SecretBox(SECRET);
    const first = box.seal('sk-admin-123', 'source-1');
    const second = box.seal('sk-admin-123', 'source-1');
    expect(first).not.toBe(second);
    expect(first).not.toContain('sk-admin');
    expect(box.open(first, 'source-1')).toBe('sk-admin-123');
  });

  it('should refuse another secret, another source, a tampered value and a short secret', () => {
    const sealed = new SecretBox(SECRET).seal('sk-admin-123', 'source-1');
    expect(() => new SecretBox('y'.repeat(32)).open(sealed, 'source-1')).toThrow(
      /cannot be decrypted/,
    );
    expect(() => new SecretBox(SECRET).open(sealed, 'source-2')).toThrow(/cannot be decrypted/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => new SecretBox(SECRET).open(parts.join('.'), 'source-1')).toThrow(
      /cannot be decrypted/,
    );
    expect(() => new SecretBox(SECRET).open('plain', 'source-1')).toThrow(/not in a known format/);
    expect(() => new SecretBox('short')).toThrow(/at least 32/);
  });
});
