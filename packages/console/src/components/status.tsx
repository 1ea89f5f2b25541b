import type { ComponentChildren } from 'preact';
import type { QueryState } from '../lib/use-query';

/** A state shown by colour AND a symbol AND words, never colour alone. */
export function StatusBadge({
  tone,
  icon,
  children,
}: {
  tone: 'good' | 'warn' | 'bad' | 'info';
  icon: string;
  children: ComponentChildren;
}) {
  return (
    <span class={`badge badge-${tone}`}>
      <span aria-hidden="true">{icon} </span>
      {children}
    </span>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error }: { error: string }) {
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/**
 * What a query has to show: its error, a loading note until it first answers, then
 * `children` of its answer (kept on screen while it reloads).
 */
export function QueryResult<R>({
  query,
  what,
  children,
}: {
  query: QueryState<R>;
  what: string;
  children: (data: R) => ComponentChildren;
}) {
  return (
    <>
      {query.error && <ErrorMessage error={query.error} />}
      {query.loading && !query.data && <Loading what={what} />}
      {query.data && children(query.data)}
    </>
  );
}
