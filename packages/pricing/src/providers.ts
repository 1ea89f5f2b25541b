/**
 * Canonical provider ids. A provider id names who bills the call, not who made the model:
 * Claude on Bedrock is `bedrock`, Claude on Vertex AI is `google`.
 */
export const PROVIDERS = [
  'openai',
  'anthropic',
  'google',
  'bedrock',
  'azure',
  'mistral',
  'xai',
  'deepseek',
  'cohere',
  'groq',
  'together',
  'fireworks',
  'perplexity',
  'openrouter',
  'deepinfra',
  'cerebras',
  'moonshot',
  'ai21',
  'databricks',
  'sagemaker',
  'ollama',
] as const;

/** One of {@link PROVIDERS}. */
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * Spellings seen in the wild (SDK names, gateway headers, LiteLLM's `litellm_provider`)
 * mapped to canonical ids. Keys are lowercase. Adding a spelling is one line here.
 */
const PROVIDER_ALIASES: Readonly<Record<string, ProviderId>> = {
  // OpenAI: LiteLLM files completion-only and speech models under their own ids.
  'text-completion-openai': 'openai',
  openai_chat: 'openai',
  'openai-chat': 'openai',
  // Anthropic
  claude: 'anthropic',
  anthropic_messages: 'anthropic',
  // Google: the Gemini API and every Vertex AI model family, including partner models
  // (Claude, Llama, Mistral) that Google hosts and bills.
  gemini: 'google',
  'google-ai-studio': 'google',
  google_ai_studio: 'google',
  'google.generativeai': 'google',
  vertex: 'google',
  vertex_ai: 'google',
  vertexai: 'google',
  'vertex-ai': 'google',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  palm: 'google',
  // AWS Bedrock
  aws_bedrock: 'bedrock',
  'aws.bedrock': 'bedrock',
  'aws-bedrock': 'bedrock',
  amazon_bedrock: 'bedrock',
  bedrock_converse: 'bedrock',
  // Azure OpenAI and Azure AI Foundry
  azure_openai: 'azure',
  'azure-openai': 'azure',
  'azure.openai': 'azure',
  'az.ai.openai': 'azure',
  'az.ai.inference': 'azure',
  azure_ai: 'azure',
  'azure-ai': 'azure',
  azure_text: 'azure',
  // Mistral: LiteLLM files Codestral's dedicated endpoint separately.
  mistralai: 'mistral',
  mistral_ai: 'mistral',
  codestral: 'mistral',
  'text-completion-codestral': 'mistral',
  // xAI
  'x-ai': 'xai',
  x_ai: 'xai',
  grok: 'xai',
  // Cohere
  cohere_chat: 'cohere',
  // Others whose LiteLLM spelling differs from the canonical id
  together_ai: 'together',
  togetherai: 'together',
  fireworks_ai: 'fireworks',
  'fireworks-ai': 'fireworks',
  'fireworks_ai-embedding-models': 'fireworks',
  moonshotai: 'moonshot',
  sagemaker_chat: 'sagemaker',
  ollama_chat: 'ollama',
};

/** Prefixes of LiteLLM's Vertex AI model families: `vertex_ai-language-models`, … */
const GOOGLE_PREFIXES = ['vertex_ai-', 'vertex_ai_', 'vertex-ai-', 'gemini-', 'gemini_'];

/**
 * Maps a provider name as any gateway, SDK or price list spells it to the canonical id.
 * Unknown names are trimmed, lowercased and returned as they are, so a new provider works
 * (and is priced by cards filed under the same spelling) before anyone adds it here.
 *
 * @example canonicalProvider('vertex_ai-anthropic_models') // 'google': Claude billed by Google
 */
export function canonicalProvider(name: string): string {
  const key = name.trim().toLowerCase();
  // Own keys only: `constructor` or `__proto__` must not answer what every object inherits.
  if (Object.hasOwn(PROVIDER_ALIASES, key)) return PROVIDER_ALIASES[key]!;
  if (GOOGLE_PREFIXES.some((prefix) => key.startsWith(prefix))) return 'google';
  return key;
}

/** Whether `name` is one of the canonical {@link PROVIDERS}. */
export function isCanonicalProvider(name: string): name is ProviderId {
  return (PROVIDERS as readonly string[]).includes(name);
}
