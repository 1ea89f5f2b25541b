import type { AuthorizeRequest } from './authorize.service';
import { validateAuthorizeRequest } from './authorize-input';

const request = (overrides: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  provider: 'openai',
  model: 'gpt-4o',
  attribution: { team: 'search' },
  estimatedInputTokens: 10,
  maxOutputTokens: 10,
  ...overrides,
});

describe('validateAuthorizeRequest', () => {
  it('should accept an ordinary request', () => {
    expect(validateAuthorizeRequest(request({ metadata: { a: [1, { b: 'c' }] } }))).toBeNull();
  });

  it.each([
    [
      'model',
      { model: 'a\u0000' },
      'wire',
      'model must not contain control characters (U+0000 at position 1)',
    ],
    [
      'attribution',
      { attribution: { request_path: '\t' } },
      'graphql',
      'attribution.requestPath must not contain',
    ],
    [
      'attribution',
      { attribution: { request_path: '\t' } },
      'wire',
      'attribution.request_path must not contain',
    ],
    ['length', { model: 'm'.repeat(257) }, 'wire', 'model must be at most 256 characters'],
    ['virtual key', { virtualKey: 'x\u007f' }, 'wire', 'virtual_key must not contain'],
    ['tokens', { maxOutputTokens: -1 }, 'wire', 'max_output_tokens must be a whole number'],
    [
      'metadata',
      { metadata: { a: { b: '\u0000' } } },
      'wire',
      'metadata.a.b must not contain U+0000',
    ],
    [
      'metadata key',
      { metadata: { ['\u0000']: 1 } },
      'wire',
      'metadata has a key containing U+0000',
    ],
    [
      'metadata size',
      { metadata: { big: 'x'.repeat(20_000) } },
      'wire',
      'metadata must be at most 16384 bytes',
    ],
  ] as const)('should name the field of a bad %s', (_what, overrides, names, message) => {
    expect(validateAuthorizeRequest(request(overrides), names)).toContain(message);
  });

  it('should refuse metadata nested past the bound without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(
      validateAuthorizeRequest(request({ metadata: { deep } as Record<string, unknown> })),
    ).toContain('is nested deeper than 8 levels');
  });
});
