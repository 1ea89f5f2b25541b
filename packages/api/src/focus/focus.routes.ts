import type { Writable } from 'node:stream';
import type { Request, Router } from 'express';
import { type HttpServices, restHandler } from '../http/rest';
import type { FocusExportService } from './focus-export.service';
import { parseFocusQuery } from './focus-query';

/** What the route uses of the services. */
type RouteServices = HttpServices & { focus: Pick<FocusExportService, 'csv'> };

/**
 * Writes the chunks to `out`, waiting for it to drain whenever its buffer is full (memory
 * stays bounded by one chunk and the socket's buffer). Answers false when `out` closed
 * first (the client went away): the chunks are abandoned, which releases their source.
 */
export async function pipeChunks(
  chunks: AsyncIterable<string>,
  out: Writable,
  first?: IteratorResult<string>,
): Promise<boolean> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    let next = first ?? (await iterator.next());
    while (!next.done) {
      if (out.destroyed) return false;
      if (!out.write(next.value)) {
        const drained = await new Promise<boolean>((resolve) => {
          const onDrain = () => done(true);
          const onClose = () => done(false);
          const done = (value: boolean) => {
            out.off('drain', onDrain);
            out.off('close', onClose);
            resolve(value);
          };
          out.on('drain', onDrain);
          out.on('close', onClose);
        });
        if (!drained) return false;
      }
      next = await iterator.next();
    }
    return true;
  } finally {
    await iterator.return?.();
  }
}

/**
 * `GET /v1/exports/focus?from=2026-11-01&to=2026-12-01&version=1.3[&currency=USD]`: the
 * range's usage cost as a FOCUS Cost and Usage CSV, streamed row by row (a server-side
 * cursor, the socket's back-pressure respected). Admin and finance (`focus.export`). A bad
 * parameter answers 400 naming it, before anything is written.
 */
export function focusRoutes(router: Router, services: RouteServices): void {
  router.get(
    '/exports/focus',
    restHandler(services, 'focus.export', async (request: Request, response) => {
      const query = parseFocusQuery(request.query);
      const chunks = services.focus.csv(query);
      // The first chunk (the header) comes after the allocation and the cursor are ready: an
      // error before it still answers with a status and a JSON body.
      const first = await chunks.next();
      const day = (date: Date) => date.toISOString().slice(0, 10);
      response.status(200);
      response.set({
        'content-type': 'text/csv; charset=utf-8; header=present',
        'content-disposition': `attachment; filename="focus-${query.version}-${day(query.from)}-${day(query.to)}-${query.currency}.csv"`,
        'cache-control': 'no-store',
      });
      try {
        if (await pipeChunks(chunks, response, first)) response.end();
      } catch (error) {
        // Headers are sent: a failure mid-file cuts the connection, so no truncated file
        // looks complete.
        services.logger.error({ err: error }, 'FOCUS export failed while streaming');
        response.destroy();
      }
    }),
  );
}
