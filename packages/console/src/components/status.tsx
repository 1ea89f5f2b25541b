import type { ComponentChildren } from 'preact';

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
