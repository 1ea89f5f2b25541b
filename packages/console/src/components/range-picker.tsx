import { useState } from 'preact/hooks';
import { dayRange, utcDay } from '../lib/format';

export interface Range {
  from: string;
  to: string;
}

/** The last `days` UTC days, today included. */
export function lastDays(days: number, now = new Date()): Range {
  const start = new Date(now.getTime() - (days - 1) * 86_400_000);
  return dayRange(utcDay(start), utcDay(now)) as Range;
}

/** Two labelled day inputs; calls back with [from, to) once both are valid days. */
export function RangePicker({
  value,
  onChange,
}: {
  value: Range;
  onChange: (range: Range) => void;
}) {
  const [fromDay, setFromDay] = useState(value.from.slice(0, 10));
  const [toDay, setToDay] = useState(utcDay(new Date(new Date(value.to).getTime() - 86_400_000)));
  const [error, setError] = useState<string | null>(null);
  const apply = (nextFrom: string, nextTo: string) => {
    setFromDay(nextFrom);
    setToDay(nextTo);
    const range = dayRange(nextFrom, nextTo);
    if ('error' in range) setError(range.error);
    else {
      setError(null);
      onChange(range);
    }
  };
  return (
    <fieldset class="range">
      <legend>Period (UTC days)</legend>
      <label>
        From{' '}
        <input
          type="date"
          value={fromDay}
          onChange={(event) => apply(event.currentTarget.value, toDay)}
        />
      </label>
      <label>
        To{' '}
        <input
          type="date"
          value={toDay}
          onChange={(event) => apply(fromDay, event.currentTarget.value)}
        />
      </label>
      {error && (
        <span role="alert" class="error">
          {error}
        </span>
      )}
    </fieldset>
  );
}
