import { canonicalProvider, isCanonicalProvider, PROVIDERS } from './providers';

describe('canonicalProvider', () => {
  it.each([
    ['openai', 'openai'],
    ['OpenAI', 'openai'],
    ['text-completion-openai', 'openai'],
    ['anthropic', 'anthropic'],
    ['gemini', 'google'],
    ['vertex_ai', 'google'],
    ['vertex_ai-language-models', 'google'],
    ['vertex_ai-embedding-models', 'google'],
    // Claude served and billed by Google Cloud: the payer is Google.
    ['vertex_ai-anthropic_models', 'google'],
    ['vertex_ai-llama_models', 'google'],
    ['bedrock', 'bedrock'],
    ['bedrock_converse', 'bedrock'],
    ['aws.bedrock', 'bedrock'],
    ['azure', 'azure'],
    ['azure_openai', 'azure'],
    ['azure_ai', 'azure'],
    ['azure_text', 'azure'],
    ['mistral', 'mistral'],
    ['codestral', 'mistral'],
    ['x-ai', 'xai'],
    ['xai', 'xai'],
    ['deepseek', 'deepseek'],
    ['cohere_chat', 'cohere'],
    ['groq', 'groq'],
    ['together_ai', 'together'],
    ['fireworks_ai', 'fireworks'],
    ['  Anthropic ', 'anthropic'],
  ])('should map %s to %s', (name, expected) => {
    expect(canonicalProvider(name)).toBe(expected);
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'should keep %s as a name, not answer a property every object inherits',
    (name) => {
      expect(canonicalProvider(name)).toBe(name.toLowerCase());
    },
  );

  it('should lowercase and keep an unknown provider name', () => {
    expect(canonicalProvider('Acme-LLM')).toBe('acme-llm');
  });

  it('should only map to canonical ids or pass unknown names through', () => {
    expect(PROVIDERS.every((id) => canonicalProvider(id) === id)).toBe(true);
    expect(isCanonicalProvider('google')).toBe(true);
    expect(isCanonicalProvider('gemini')).toBe(false);
  });
});
