import { graphql } from '../gql';
import type { ForecastScopeInput, PeriodForecastQuery } from '../gql/graphql';
import { formatMoney } from '../lib/format';
import type { PageProps } from '../lib/page';
import { useQuery } from '../lib/use-query';

export const PeriodForecast = graphql(`
  query PeriodForecast($scope: ForecastScopeInput!) {
    forecast(scope: $scope) {
      period
      periodEnd
      currency
      actualToDate
      projected
      low
      high
      method
      limit
    }
  }
`);

export type Forecast = PeriodForecastQuery['forecast'];

const METHODS: Record<string, string> = {
  CLOSED: 'the period is over: actual spend',
  RUN_RATE: "from the period's daily run rate",
  RECENT_RATE: 'from the last 7 days',
  NO_HISTORY: 'no history yet: nothing more projected',
};

/** End-of-period spend with its 80 % interval (the forecast query). */
export function ForecastSummary({ forecast }: { forecast: Forecast }) {
  const money = (value: string) => formatMoney(value, forecast.currency);
  return (
    <div data-testid="forecast">
      <dt>Forecast for {forecast.period}</dt>
      <dd>
        <span data-testid="forecast-projected">{money(forecast.projected)}</span>
      </dd>
      <dd class="note">
        80 %: {money(forecast.low)} – {money(forecast.high)};{' '}
        {METHODS[forecast.method] ?? forecast.method.toLowerCase()}
      </dd>
    </div>
  );
}

/** Loads and shows the forecast of a scope; says so when it cannot. */
export function ForecastCard({
  run,
  scope,
}: Pick<PageProps, 'run'> & { scope: ForecastScopeInput }) {
  const forecast = useQuery(run, PeriodForecast, { scope });
  if (forecast.error) {
    return (
      <div>
        <dt>Forecast</dt>
        <dd class="note">unavailable: {forecast.error}</dd>
      </div>
    );
  }
  if (!forecast.data) {
    return (
      <div>
        <dt>Forecast</dt>
        <dd class="note">…</dd>
      </div>
    );
  }
  return <ForecastSummary forecast={forecast.data.forecast} />;
}
