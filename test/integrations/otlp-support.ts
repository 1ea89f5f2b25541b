import { type Attributes, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A span to record: its name, attributes, and whether it failed. */
export interface SpanSpec {
  name: string;
  attributes: Attributes;
  error?: string;
}

/**
 * Records spans with the OpenTelemetry SDK (its own ids, times and resource) and answers them
 * as the exporters receive them.
 */
export async function recordSpans(
  resource: Attributes,
  specs: SpanSpec[],
): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('purser-test', '1.0.0');
  for (const spec of specs) {
    const span = tracer.startSpan(spec.name, { attributes: spec.attributes });
    if (spec.error) span.setStatus({ code: SpanStatusCode.ERROR, message: spec.error });
    span.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  trace.disable();
  return spans;
}

/** A chat call's GenAI attributes, as current instrumentations set them. */
export function chatAttributes(extra: Attributes = {}): Attributes {
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o-mini',
    'gen_ai.response.model': 'gpt-4o-mini',
    'gen_ai.usage.input_tokens': 1200,
    'gen_ai.usage.cache_read.input_tokens': 1000,
    'gen_ai.usage.output_tokens': 50,
    ...extra,
  };
}
