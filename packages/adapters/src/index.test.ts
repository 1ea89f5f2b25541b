import * as adapters from './index';

describe('@purser/adapters public API', () => {
  it('should export the contracts other packages rely on', () => {
    expect(adapters.USAGE_STREAM).toBe('PURSER_USAGE');
    expect(typeof adapters.parseUsageEvent).toBe('function');
    expect(typeof adapters.convertProviderUsage).toBe('function');
    expect(typeof adapters.parseJson).toBe('function');
    expect(adapters.USAGE_FORMATS).toEqual(['openai', 'anthropic', 'google', 'otel']);
  });
});
