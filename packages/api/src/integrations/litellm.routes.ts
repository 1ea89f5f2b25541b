import express, { type Response, type Router } from 'express';
import { badInput } from '../errors';
import {
  type AuthedRequest,
  type HttpServices,
  restAuthentication,
  restHandler,
} from '../http/rest';
import type { IngestService } from '../usage/ingest.service';
import {
  checkIntegrationItems,
  type ConvertedItem,
  countOutcomes,
  ingestConverted,
  MAX_INTEGRATION_BODY_BYTES,
} from './integration-ingest';
import { litellmUsageEvent } from './litellm-payload';

type RouteServices = HttpServices & { ingest: IngestService };

/**
 * The items of a LiteLLM generic API logger body: a JSON array (`log_format: json_array`),
 * one object (`single`) or NDJSON (`ndjson`, sent as application/json too). A line of NDJSON
 * that is not JSON is kept as its text, so it is dead-lettered with the parser's reason while
 * the other lines are stored. More than `MAX_INTEGRATION_ITEMS` payloads are refused
 * with 413 before any is read.
 */
export function litellmItems(body: string): ConvertedItem[] {
  const text = body.trim();
  if (text === '') throw badInput('body is empty: send StandardLoggingPayload objects');
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw badInput(`body is not a valid JSON array: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw badInput('body must be a JSON array, an object or NDJSON');
    checkIntegrationItems(parsed.length, 'payloads');
    return parsed.map((payload) => ({ event: litellmUsageEvent(payload) }));
  }
  try {
    return [{ event: litellmUsageEvent(JSON.parse(text)) }];
  } catch {
    // Not one JSON value: NDJSON, one payload a line.
  }
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  checkIntegrationItems(lines.length, 'payloads');
  const items: ConvertedItem[] = [];
  for (const trimmed of lines) {
    try {
      items.push({ event: litellmUsageEvent(JSON.parse(trimmed)) });
    } catch {
      items.push({ rawText: trimmed });
    }
  }
  return items;
}

/**
 * `POST /v1/integrations/litellm`: LiteLLM's generic API logger. Every payload is stored once
 * (idempotent on its `id`) or dead-lettered with its reason; a bad one never costs the others.
 * Answers 200 with the counts and each payload's outcome; a body of more than 10,000 payloads
 * answers 413 `PAYLOAD_TOO_LARGE` and stores nothing.
 */
export function litellmRoutes(router: Router, services: RouteServices): void {
  router.post(
    '/integrations/litellm',
    restAuthentication(services),
    express.text({ type: () => true, limit: MAX_INTEGRATION_BODY_BYTES }),
    restHandler(
      services,
      'usage.ingest',
      async (request: AuthedRequest, response: Response, principal) => {
        const body: unknown = request.body;
        const items = litellmItems(typeof body === 'string' ? body : '');
        const outcomes = await ingestConverted(services.ingest, items, principal, 'litellm');
        response.status(200).json({
          ...countOutcomes(outcomes),
          results: outcomes.map((outcome) => ({
            id: outcome.id ?? null,
            status: outcome.status,
            reason: outcome.reason ?? null,
          })),
        });
      },
    ),
  );
}
