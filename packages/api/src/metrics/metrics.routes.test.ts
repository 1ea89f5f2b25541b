import { metricsOfBody } from './metrics.routes';
import { refusedError } from './metrics.resolver';

describe('metricsOfBody', () => {
  it('should take an array or {"metrics": [...]}', () => {
    expect(metricsOfBody([1, 2])).toEqual([1, 2]);
    expect(metricsOfBody({ metrics: [{ name: 'a' }] })).toEqual([{ name: 'a' }]);
  });

  it.each([
    [{}, 'body.metrics must be an array of metrics'],
    [{ metrics: {} }, 'body.metrics must be an array of metrics'],
    [{ metrics: [], extra: 1 }, 'body.extra: unknown field'],
    [{ ['k'.repeat(100)]: 1 }, `body.${'k'.repeat(61)}...: unknown field`],
    ['text', 'body must be an array of metrics or {"metrics": [...]}'],
    [null, 'body must be an array of metrics or {"metrics": [...]}'],
  ])('should refuse %j: %s', (body, message) => {
    expect(() => metricsOfBody(body)).toThrow(message);
  });
});

describe('refusedError', () => {
  it('should name the first refusals, count the rest and keep them all in its details', () => {
    const results = Array.from({ length: 8 }, (_, index) =>
      index === 0
        ? { index, id: 'a', status: 'recorded' as const }
        : {
            index,
            status: 'rejected' as const,
            field: 'value',
            reason: `metrics[${index}].value: bad`,
          },
    );
    const error = refusedError({ recorded: 1, duplicates: 0, rejected: 7, results });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(
      '7 of 8 metrics were refused: metrics[1].value: bad; metrics[2].value: bad; metrics[3].value: bad; metrics[4].value: bad; metrics[5].value: bad; and 2 more. The others were stored (1 new, 0 already recorded).',
    );
    expect((error.details?.rejections as unknown[]).length).toBe(7);
  });
});
