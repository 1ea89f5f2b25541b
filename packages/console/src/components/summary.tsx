import type { ComponentChildren } from 'preact';

/** One figure of a {@link Summary}; `testId` marks its value for the browser tests. */
export interface SummaryItem {
  label: string;
  value: ComponentChildren;
  testId?: string;
}

/** The headline figures above a page's table, as terms and values; `children` add more. */
export function Summary({
  items,
  children,
}: {
  items: SummaryItem[];
  children?: ComponentChildren;
}) {
  return (
    <dl class="summary">
      {items.map((item) => (
        <div key={item.label}>
          <dt>{item.label}</dt>
          <dd data-testid={item.testId}>{item.value}</dd>
        </div>
      ))}
      {children}
    </dl>
  );
}
