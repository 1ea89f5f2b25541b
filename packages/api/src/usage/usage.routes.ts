import type { Router } from 'express';
import { holdKeyOf } from '../auth/api-key.service';
import { badInput } from '../errors';
import { type HttpServices, restHandler } from '../http/rest';
import type { IngestService } from './ingest.service';
import { summarize } from './ingest-summary';

/** Largest array one HTTP ingest request (or `ingestUsage` mutation) may carry. */
export const MAX_EVENTS_PER_REQUEST = 5_000;

/**
 * The one batch rule of REST and GraphQL ingest: at least one event (an empty batch is a
 * client bug, not a success), at most {@link MAX_EVENTS_PER_REQUEST}. `what` names the
 * field in the error: `body` or `events`.
 */
export function checkIngestBatch(count: number, what: string): void {
  if (count === 0) throw badInput(`${what} is an empty list: send at least one event`);
  if (count > MAX_EVENTS_PER_REQUEST) {
    throw badInput(`at most ${MAX_EVENTS_PER_REQUEST} events per request (got ${count})`);
  }
}

/**
 * `POST /v1/usage`: one event or an array, in the wire shape (or CloudEvents structured
 * envelopes); answers the IngestResult in snake_case. A database outage answers 503 and
 * stores nothing, so the caller can retry the whole request safely.
 */
/** What the usage routes use of the services. */
type RouteServices = HttpServices & { ingest: IngestService };

export function usageRoutes(router: Router, services: RouteServices): void {
  router.post(
    '/usage',
    restHandler(services, 'usage.ingest', async (request, response, principal) => {
      const body: unknown = request.body;
      if (
        body === undefined ||
        body === null ||
        (typeof body !== 'object' && !Array.isArray(body))
      ) {
        throw badInput('body must be a usage event (JSON object) or an array of them');
      }
      const events = Array.isArray(body) ? body : [body];
      checkIngestBatch(events.length, 'body');
      const outcomes = await services.ingest.ingest(
        events.map((event) => ({
          body: event,
          subject: 'http',
          senderKeyId: holdKeyOf(principal),
        })),
        'http',
      );
      const summary = summarize(outcomes);
      response.status(200).json({
        accepted: summary.accepted,
        duplicates: summary.duplicates,
        rejected: summary.rejected,
        results: summary.results.map((result) => ({
          id: result.id ?? null,
          status: result.status,
          reason: result.reason ?? null,
        })),
      });
    }),
  );
}
