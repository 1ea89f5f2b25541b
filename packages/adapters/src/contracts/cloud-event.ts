import { z } from 'zod';

import { formatIssues } from '../zod-issues';

/**
 * The CloudEvents 1.0 context attributes we read from a structured-mode JSON envelope.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
export interface CloudEventEnvelope {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  datacontenttype?: string;
  subject?: string;
}

/** Result of {@link unwrapCloudEvent}. */
export type UnwrapCloudEventResult =
  | {
      ok: true;
      /** The usage event candidate: `data` with `id`/`timestamp`/`source` filled from the envelope. */
      body: unknown;
      /** The envelope, when the body was one. */
      envelope?: CloudEventEnvelope;
    }
  | { ok: false; reason: string };

const envelopeSchema = z.object({
  specversion: z.literal('1.0', { error: 'only CloudEvents 1.0 is supported' }),
  id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  source: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  type: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  time: z.string({ error: 'must be a string' }).optional(),
  datacontenttype: z.string({ error: 'must be a string' }).optional(),
  subject: z.string({ error: 'must be a string' }).optional(),
});

/** `application/json`, `text/json`, `application/cloudevents+json`, with parameters. */
function isJsonContentType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    mediaType === 'application/json' || mediaType === 'text/json' || mediaType.endsWith('+json')
  );
}

/**
 * Accepts a body that is either a plain usage event or a CloudEvents 1.0 structured envelope
 * whose `data` is one. `data` lacking `id`, `timestamp` or `source` takes the envelope's `id`,
 * `time` and `source` — so a gateway that already stamps CloudEvents need not repeat them.
 * `data_base64` (binary data) and non-JSON `datacontenttype` are rejected.
 */
export function unwrapCloudEvent(body: unknown): UnwrapCloudEventResult {
  if (
    body === null ||
    typeof body !== 'object' ||
    Array.isArray(body) ||
    !('specversion' in body)
  ) {
    return { ok: true, body };
  }
  const record = body as Record<string, unknown>;
  const parsed = envelopeSchema.safeParse(record, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, reason: `CloudEvent ${formatIssues(parsed.error).join('; ')}` };
  }
  const envelope = parsed.data as CloudEventEnvelope;
  if ('data_base64' in record) {
    return {
      ok: false,
      reason:
        'CloudEvent data_base64: binary data is not supported; send the usage event as JSON data',
    };
  }
  if (envelope.datacontenttype !== undefined && !isJsonContentType(envelope.datacontenttype)) {
    return {
      ok: false,
      reason: `CloudEvent datacontenttype: must be JSON (got ${JSON.stringify(envelope.datacontenttype)})`,
    };
  }
  const data = record.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      reason: 'CloudEvent data: must be a JSON object holding the usage event',
    };
  }
  const event: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  if (event.id === undefined) event.id = envelope.id;
  if (event.timestamp === undefined && envelope.time !== undefined) event.timestamp = envelope.time;
  if (event.source === undefined) event.source = envelope.source;
  return { ok: true, body: event, envelope };
}
