/**
 * The canonical usage each provider fixture converts to, for the tests that convert them
 * (directly or inside a usage event).
 */

/** `openai-chat-completion.json`'s `usage`. */
export const OPENAI_CHAT_COMPLETION_USAGE = {
  input_tokens: 93,
  cache_read_tokens: 1024,
  output_tokens: 46,
};

/** `anthropic-message-cache.json`'s `usage`. */
export const ANTHROPIC_MESSAGE_CACHE_USAGE = {
  input_tokens: 21,
  cache_read_tokens: 188086,
  cache_write_tokens: 1051,
  cache_write_1h_tokens: 1000,
  output_tokens: 393,
};

/** `gemini-generate-content.json`'s `usageMetadata`. */
export const GEMINI_GENERATE_CONTENT_USAGE = {
  input_tokens: 2018,
  cache_read_tokens: 8192,
  output_tokens: 311,
  reasoning_tokens: 282,
};
