import {
  getBillingAdapterFactory,
  isBillingProviderId,
  BILLING_PROVIDER_IDS,
} from '@purser/adapters';
import { badInput } from '../errors';

/** A billing source as given to create or update (every field checked by {@link checkSourceInput}). */
export interface BillingSourceFields {
  provider: string;
  name: string;
  baseUrl?: string | null;
  apiKey?: string | null;
}

const MAX_NAME = 200;
const MAX_URL = 2048;
const MAX_KEY = 4096;
// Names are for people: printable text, no control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Checks a billing source input; throws BAD_USER_INPUT naming the field. Linear in the
 * input's size; lengths are checked before anything else reads the values.
 */
export function checkSourceInput(input: BillingSourceFields): BillingSourceFields {
  if (typeof input.provider !== 'string' || !isBillingProviderId(input.provider)) {
    throw badInput(
      `provider: unknown billing provider; known providers: ${BILLING_PROVIDER_IDS.join(', ')}`,
      { field: 'provider' },
    );
  }
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME || CONTROL.test(name)) {
    throw badInput(`name: 1 to ${MAX_NAME} printable characters`, { field: 'name' });
  }
  let baseUrl: string | null = null;
  if (input.baseUrl !== undefined && input.baseUrl !== null && input.baseUrl !== '') {
    if (input.baseUrl.length > MAX_URL) {
      throw badInput(`baseUrl: at most ${MAX_URL} characters`, { field: 'baseUrl' });
    }
    let url: URL;
    try {
      url = new URL(input.baseUrl);
    } catch {
      throw badInput('baseUrl: not a URL (https://api.openai.com)', { field: 'baseUrl' });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw badInput('baseUrl: must be an http or https URL', { field: 'baseUrl' });
    }
    if (url.username || url.password) {
      throw badInput('baseUrl: must not carry credentials; give apiKey instead', {
        field: 'baseUrl',
      });
    }
    baseUrl = input.baseUrl;
  }
  let apiKey: string | null = null;
  if (input.apiKey !== undefined && input.apiKey !== null && input.apiKey !== '') {
    if (input.apiKey.length > MAX_KEY || /\s/.test(input.apiKey) || CONTROL.test(input.apiKey)) {
      throw badInput(`apiKey: at most ${MAX_KEY} characters, no spaces or control characters`, {
        field: 'apiKey',
      });
    }
    apiKey = input.apiKey;
  }
  const kind = getBillingAdapterFactory(input.provider).kind;
  if (kind === 'file' && (apiKey !== null || baseUrl !== null)) {
    throw badInput(`${input.provider} sources import files: they take no apiKey or baseUrl`, {
      field: apiKey !== null ? 'apiKey' : 'baseUrl',
    });
  }
  return { provider: input.provider, name, baseUrl, apiKey };
}
