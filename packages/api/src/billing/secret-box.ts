import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const FORMAT = 'v1';
const SALT = 'purser-billing-source';
const INFO = 'api-key aes-256-gcm';

/** Thrown when a stored key cannot be decrypted with the configured secret. */
export class SecretBoxError extends Error {
  readonly code = 'SECRET_UNREADABLE';
}

/**
 * Encrypts billing sources' API keys at rest: AES-256-GCM with a key derived from
 * `PURSER_SECRET_KEY` by HKDF-SHA256, a random 96-bit nonce per value, and the source id as
 * additional data (a ciphertext copied to another source does not decrypt).
 * Stored as `v1.<nonce>.<tag>.<ciphertext>` (base64url).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (secret.length < 32)
      throw new SecretBoxError('PURSER_SECRET_KEY must be at least 32 characters');
    this.key = Buffer.from(hkdfSync('sha256', secret, SALT, INFO, 32));
  }

  seal(plaintext: string, boundTo: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, nonce, cipher.getAuthTag(), body]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string, boundTo: string): string {
    const [format, nonce, tag, body, ...rest] = sealed.split('.');
    if (format !== FORMAT || !nonce || !tag || body === undefined || rest.length > 0) {
      throw new SecretBoxError('the stored API key is not in a known format');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(body, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'the stored API key cannot be decrypted with PURSER_SECRET_KEY (was the secret changed?)',
      );
    }
  }
}
