/**
 * Encrypts a webhook's URL and signing secret at rest. The assembly hands in the service's
 * secret box (AES-256-GCM under PURSER_SECRET_KEY); `boundTo` is additional data, so a sealed
 * value copied to another webhook or field does not open.
 */
export interface Sealer {
  seal(plaintext: string, boundTo: string): string;
  open(sealed: string, boundTo: string): string;
}

/** The additional data a webhook's sealed field is bound to. */
export const sealedField = (webhookId: string, field: 'url' | 'secret') =>
  `webhook:${webhookId}:${field}`;
