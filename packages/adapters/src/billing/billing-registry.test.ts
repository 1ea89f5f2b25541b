import { AdapterError } from '../errors';
import { entriesByFile, isV1Entry } from '../__fixtures__/registry-files';
import type { BillingAdapterFactoryV1 } from './billing-adapter-factory-v1';
import {
  BILLING_ADAPTERS,
  BILLING_PROVIDER_IDS,
  createBillingAdapter,
  getBillingAdapterFactory,
} from './billing-registry';

function isFactory(value: unknown): value is BillingAdapterFactoryV1 {
  return isV1Entry<BillingAdapterFactoryV1>(value, 'create');
}

describe('billing adapter registry', () => {
  it('should register every *-billing-adapter.ts file under its own id', () => {
    const files = entriesByFile(__dirname, /^.+-billing-adapter\.ts$/, isFactory);
    expect(files.map(({ file }) => file).sort()).toEqual([
      'anthropic-billing-adapter.ts',
      'focus-billing-adapter.ts',
      'openai-billing-adapter.ts',
    ]);
    const registered = new Set<BillingAdapterFactoryV1>(Object.values(BILLING_ADAPTERS));
    for (const { file, entries: factories } of files) {
      expect({ file, factories: factories.length }).toEqual({ file, factories: 1 });
      const [factory] = factories;
      expect({ file, registered: registered.has(factory!) }).toEqual({ file, registered: true });
      expect(BILLING_ADAPTERS[factory!.id as keyof typeof BILLING_ADAPTERS]).toBe(factory);
      expect(file.startsWith(`${factory!.id}-`)).toBe(true);
    }
  });

  it('should throw an error listing the known providers for an unknown one', () => {
    expect(() => createBillingAdapter('gemini')).toThrow(
      'unknown billing provider "gemini"; known providers: openai, anthropic, focus',
    );
    try {
      getBillingAdapterFactory('constructor');
      throw new Error('expected a throw');
    } catch (error) {
      expect(AdapterError.isInstance(error) && error.code).toBe('UNKNOWN_BILLING_PROVIDER');
    }
  });

  it.each(BILLING_PROVIDER_IDS)('should build %s with the method its kind promises', (id) => {
    const factory = getBillingAdapterFactory(id);
    const adapter = createBillingAdapter(id, { apiKey: 'k' });
    expect(adapter.specificationVersion).toBe('v1');
    expect(adapter.id).toBe(id);
    if (factory.kind === 'api') {
      expect(typeof adapter.doFetchCosts).toBe('function');
      expect(factory.defaultBaseUrl).toMatch(/^https:\/\/api\.[a-z]+\.com\/v1$/);
    } else {
      expect(typeof adapter.doImportFile).toBe('function');
    }
  });

  it('should refuse a baseUrl that is not http(s) or carries credentials', () => {
    expect(() => createBillingAdapter('openai', { baseUrl: 'ftp://example.com' })).toThrow(
      'openai billing: baseUrl must be http or https (got ftp:)',
    );
    expect(() =>
      createBillingAdapter('anthropic', { baseUrl: 'https://user:pw@example.com' }),
    ).toThrow('anthropic billing: baseUrl must not carry credentials, a query or a fragment');
    expect(() => createBillingAdapter('openai', { baseUrl: 'not a url' })).toThrow(
      'openai billing: baseUrl is not a URL',
    );
  });
});
