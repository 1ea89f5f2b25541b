import type { Request, Response, Router } from 'express';
import { notFound } from '../errors';
import { type HttpServices, restHandler } from '../http/rest';
import type { SpendService } from '../usage/spend.service';
import { chargebackCsv } from './chargeback-csv';
import { journalSource, statementSource, type StatementApi } from './chargeback-csv-source';
import { DEFAULT_JOURNAL_ACCOUNTS, journalCsv, type JournalAccounts } from './journal-csv';
import { parseExportQuery, type ExportQuery } from './allocation-exports-query';

/** What the export routes use of the services. */
type RouteServices = HttpServices & {
  allocation: StatementApi;
  spend: Pick<SpendService, 'report'>;
};

function csvHeaders(response: Response, name: string): void {
  response.status(200);
  response.set({
    'content-type': 'text/csv; charset=utf-8; header=present',
    'content-disposition': `attachment; filename="${name}.csv"`,
    'cache-control': 'no-store',
  });
}

/** Resolves when the response can take more, or is closed (a client that went away). */
function drained(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/**
 * Writes the chunks (one statement each), waiting for the socket to drain between them, so
 * the bytes buffered stay bounded; stops when the client has gone.
 */
async function stream(response: Response, chunks: readonly string[]): Promise<void> {
  for (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await drained(response);
  }
  response.end();
}

async function knownCostCenter(services: RouteServices, code: string): Promise<void> {
  const stored = await services.allocation.listCostCenters({ includeInactive: true });
  if (!stored.some((entry) => entry.code === code)) throw notFound('cost center', code);
}

function accountsOf(query: ExportQuery): JournalAccounts {
  return {
    provider: query.providerAccount ?? DEFAULT_JOURNAL_ACCOUNTS.provider,
    providers: query.providerAccounts,
    expense: query.expenseAccount ?? DEFAULT_JOURNAL_ACCOUNTS.expense,
    unallocated: query.unallocatedAccount ?? DEFAULT_JOURNAL_ACCOUNTS.unallocated,
  };
}

/**
 * `GET /v1/exports/chargeback?month=2026-11[&costCenter=CC-X][&currency=USD][&detail=none]`: the month's
 * chargeback statements as CSV (see `chargebackCsv`); `GET /v1/exports/journal?month=…`: the
 * month's journal entry as CSV (see `journalCsv`; accounts by query parameter, README).
 * Read with `allocation.read` (admin, finance, viewer). A bad parameter answers 400 naming it.
 */
export function allocationExportRoutes(router: Router, services: RouteServices): void {
  router.get(
    '/exports/chargeback',
    restHandler(services, 'allocation.read', async (request: Request, response) => {
      const query = parseExportQuery(request.query, 'chargeback');
      if (query.costCenter !== null) await knownCostCenter(services, query.costCenter);
      const { source } = await statementSource(
        services.allocation,
        query.range,
        query.currency,
        query.costCenter,
        query.detail,
      );
      // Rendered before the status is sent: a failure still answers as an error, not a cut file.
      const chunks = [...chargebackCsv(source)];
      csvHeaders(
        response,
        `chargeback-${query.range.month}${query.costCenter ? `-${query.costCenter}` : ''}-${query.currency}`,
      );
      await stream(response, chunks);
    }),
  );
  router.get(
    '/exports/journal',
    restHandler(services, 'allocation.read', async (request: Request, response) => {
      const query = parseExportQuery(request.query, 'journal');
      const { from, to, month } = query.range;
      const [report, spend] = await Promise.all([
        services.allocation.chargeback({ from, to, currency: query.currency }),
        services.spend.report({
          from,
          to,
          groupBy: ['provider'],
          filter: {},
          currency: query.currency,
        }),
      ]);
      const providers = spend.rows.map((row) => ({
        provider: row.dimensions.provider ?? 'unknown',
        amount: row.cost,
      }));
      const csv = journalCsv(journalSource(month, report, providers), accountsOf(query));
      csvHeaders(response, `journal-${month}-${query.currency}`);
      await stream(response, [csv]);
    }),
  );
}
