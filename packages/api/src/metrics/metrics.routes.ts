import type { Router } from 'express';
import { isPlainObject } from '@purser/pricing';
import { badInput } from '../errors';
import { type HttpServices, restHandler } from '../http/rest';
import { checkMetricBatch } from './business-metric-input';
import type { BusinessMetricService } from './business-metrics.service';

/** What the metrics routes use of the services. */
type RouteServices = HttpServices & { businessMetrics: BusinessMetricService };

/** The list a `POST /v1/metrics` body holds: the body itself, or its `metrics`. */
export function metricsOfBody(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (isPlainObject(body)) {
    const wrapper = body as Record<string, unknown>;
    for (const key of Object.keys(wrapper)) {
      if (key !== 'metrics')
        throw badInput(`body.${key.length > 64 ? `${key.slice(0, 61)}...` : key}: unknown field`);
    }
    if (Array.isArray(wrapper.metrics)) return wrapper.metrics;
    throw badInput('body.metrics must be an array of metrics');
  }
  throw badInput('body must be an array of metrics or {"metrics": [...]}');
}

/**
 * `POST /v1/metrics`: business metrics as a JSON array or `{"metrics": [...]}`, at most
 * 5,000. Answers 200 with an outcome per item (`recorded`, `duplicate`, or `rejected` with
 * the field and the reason): a bad item never costs the good ones. A database outage answers
 * 503 and stores nothing, so the caller can retry the whole request safely (ids make it
 * idempotent).
 */
export function metricsRoutes(router: Router, services: RouteServices): void {
  router.post(
    '/metrics',
    restHandler(services, 'metrics.write', async (request, response) => {
      const metrics = metricsOfBody(request.body);
      checkMetricBatch(metrics.length, 'body');
      const result = await services.businessMetrics.record(metrics, 'metrics');
      response.status(200).json({
        recorded: result.recorded,
        duplicates: result.duplicates,
        rejected: result.rejected,
        results: result.results.map((item) => ({
          index: item.index,
          id: item.id ?? null,
          status: item.status,
          field: item.field ?? null,
          reason: item.reason ?? null,
        })),
      });
    }),
  );
}
