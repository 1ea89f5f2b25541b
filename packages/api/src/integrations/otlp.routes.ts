import express, { type Request, type Response, type Router } from 'express';
import { assertPermission } from '../auth/api-key.service';
import { badInput } from '../errors';
import {
  type AuthedRequest,
  errorResponse,
  type HttpServices,
  restAuthentication,
} from '../http/rest';
import type { IngestService } from '../usage/ingest.service';
import {
  checkIntegrationItems,
  type ConvertedItem,
  countOutcomes,
  ingestConverted,
  MAX_INTEGRATION_BODY_BYTES,
} from './integration-ingest';
import {
  decodeTraceRequest,
  encodeRpcStatus,
  encodeTraceResponse,
  type ProtoTraceRequest,
} from './otlp-proto';
import { isUsageSpan, otlpSpans, spanCount, spanUsageEvent } from './otlp-spans';

type RouteServices = HttpServices & { ingest: IngestService };

const PROTOBUF = /^application\/x-protobuf\s*(;|$)/i;
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** How many rejection reasons the `errorMessage` of a partial success quotes. */
const QUOTED_REASONS = 5;

/** gRPC status codes for the `google.rpc.Status` of an error answer. */
function grpcCode(status: number): number {
  if (status === 400) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  // Too many spans: the same batch would be refused again, so not RESOURCE_EXHAUSTED (retried).
  if (status === 413) return 3; // INVALID_ARGUMENT
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

function decode(request: Request, protobuf: boolean): ProtoTraceRequest | unknown {
  const body: unknown = request.body;
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (protobuf) {
    try {
      return decodeTraceRequest(bytes);
    } catch (error) {
      throw badInput(`body is not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
    }
  }
  try {
    return bytes.length === 0 ? {} : (JSON.parse(bytes.toString('utf8')) as unknown);
  } catch (error) {
    throw badInput(`body is not valid JSON: ${(error as Error).message}`);
  }
}

function send(
  response: Response,
  protobuf: boolean,
  status: number,
  json: unknown,
  proto: Uint8Array,
  headers: Record<string, string> = {},
): void {
  response.set(headers);
  if (protobuf) {
    response.status(status).type('application/x-protobuf').send(Buffer.from(proto));
  } else {
    response.status(status).json(json);
  }
}

/**
 * `POST /v1/traces`: OTLP/HTTP trace export (protobuf or JSON, gzip), the spans with GenAI
 * usage become usage events through the ingest pipeline; other spans are ignored and counted
 * (`x-purser-spans-ignored`). Rejected GenAI spans are reported in `partialSuccess`; the
 * answer is in the request's encoding. A request of more than `MAX_INTEGRATION_ITEMS` spans is
 * refused whole with 413 (a non-retryable status to OTLP exporters) before any span is read.
 */
export function otlpRoutes(router: Router, services: RouteServices): void {
  router.post(
    '/traces',
    restAuthentication(services),
    express.raw({ type: () => true, limit: MAX_INTEGRATION_BODY_BYTES }),
    async (request: AuthedRequest, response: Response) => {
      const type = request.header('content-type') ?? '';
      const protobuf = PROTOBUF.test(type);
      try {
        const principal = assertPermission(request.principal ?? null, 'usage.ingest');
        if (!protobuf && !JSON_TYPE.test(type)) {
          response.status(415).json({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: `content-type must be application/x-protobuf or application/json (got ${JSON.stringify(type.slice(0, 100))})`,
          });
          return;
        }
        const decoded = decode(request, protobuf);
        checkIntegrationItems(spanCount(decoded), 'spans');
        const events: ConvertedItem[] = [];
        let ignored = 0;
        for (const span of otlpSpans(decoded)) {
          if (isUsageSpan(span)) events.push({ event: spanUsageEvent(span) });
          else ignored += 1;
        }
        const outcomes =
          events.length === 0
            ? []
            : await ingestConverted(services.ingest, events, principal, 'otlp');
        const counts = countOutcomes(outcomes);
        const reasons = outcomes
          .filter((outcome) => outcome.status === 'rejected')
          .slice(0, QUOTED_REASONS)
          .map((outcome) => `span ${outcome.id ?? '(no id)'}: ${outcome.reason ?? 'rejected'}`);
        const errorMessage =
          counts.rejected > reasons.length
            ? `${reasons.join('; ')}; and ${counts.rejected - reasons.length} more`
            : reasons.join('; ');
        const headers = {
          'x-purser-spans-accepted': String(counts.accepted),
          'x-purser-spans-duplicate': String(counts.duplicates),
          'x-purser-spans-rejected': String(counts.rejected),
          'x-purser-spans-ignored': String(ignored),
        };
        const json =
          counts.rejected > 0
            ? { partialSuccess: { rejectedSpans: counts.rejected, errorMessage } }
            : {};
        send(
          response,
          protobuf,
          200,
          json,
          encodeTraceResponse(counts.rejected, errorMessage),
          headers,
        );
      } catch (error) {
        const answer = errorResponse(services, error);
        const message = String(answer.body.message ?? answer.body.code);
        send(
          response,
          protobuf,
          answer.status,
          answer.body,
          encodeRpcStatus(grpcCode(answer.status), message),
          answer.headers,
        );
      }
    },
  );
}
