import http from 'node:http';
import { listenLocally } from '../support/local-server';

/** What the mock provider was asked and answered, per request. */
export interface ProviderCall {
  model: string;
  maxTokens: number;
  promptTokens: number;
  completionTokens: number;
}

/**
 * A local stand-in for an OpenAI-compatible provider: `POST /v1/chat/completions` answers a
 * chat completion with a `usage` block. Token counts come from the request (`prompt_tokens`
 * is the `x-prompt-tokens` header, `completion_tokens` the `x-completion-tokens` header
 * capped at `max_tokens`), so a test knows exactly what each call consumed; `x-delay-ms`
 * delays the answer (to abort a call in flight).
 */
export interface MockProvider {
  url: string;
  calls: ProviderCall[];
  close(): Promise<void>;
}

export async function startMockProvider(): Promise<MockProvider> {
  const calls: ProviderCall[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        model?: string;
        max_tokens?: number;
      };
      const maxTokens = body.max_tokens ?? 1_000_000;
      const promptTokens = Number(request.headers['x-prompt-tokens'] ?? 100);
      const completionTokens = Math.min(
        maxTokens,
        Number(request.headers['x-completion-tokens'] ?? 10),
      );
      const answer = () => {
        calls.push({ model: body.model ?? '', maxTokens, promptTokens, completionTokens });
        const payload = JSON.stringify({
          id: `chatcmpl-${calls.length}`,
          object: 'chat.completion',
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' },
          ],
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
          },
        });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(payload);
      };
      const delay = Number(request.headers['x-delay-ms'] ?? 0);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  return { ...(await listenLocally(server)), calls };
}

/** Calls the mock provider as an OpenAI SDK would, over kept-alive connections. */
export function chatCompletion(
  provider: MockProvider,
  agent: http.Agent,
  options: {
    model: string;
    maxTokens: number;
    promptTokens: number;
    completionTokens: number;
    delayMs?: number;
    signal?: AbortSignal;
  },
): Promise<{ model: string; usage: Record<string, number> }> {
  const payload = JSON.stringify({
    model: options.model,
    max_tokens: options.maxTokens,
    messages: [{ role: 'user', content: 'hello' }],
  });
  return new Promise((resolve, reject) => {
    const request = http.request(`${provider.url}/v1/chat/completions`, {
      method: 'POST',
      agent,
      signal: options.signal,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-prompt-tokens': String(options.promptTokens),
        'x-completion-tokens': String(options.completionTokens),
        ...(options.delayMs ? { 'x-delay-ms': String(options.delayMs) } : {}),
      },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as never);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    request.end(payload);
  });
}
