import {
  createTable,
  getCoreRowModel,
  getSortedRowModel,
  type ColumnDef,
  type SortingState,
} from '@tanstack/table-core';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { compareDecimals } from '../lib/decimal';
import { formatInstant } from '../lib/format';

export interface Column<T> {
  id: string;
  header: string;
  /** The value sorted on: money and quantities as decimal strings. */
  value: (row: T) => string | number | null;
  render?: (row: T) => ComponentChildren;
  kind?: 'text' | 'decimal';
  sortable?: boolean;
}

/**
 * A column of decimal strings (money, quantities): sorted as decimals, not as text, and
 * shown by `show` from the value and its row. A missing value sorts first. The row type
 * comes from the table (`NoInfer`), so `show` may be a formatter of any row with a currency.
 */
export function decimalColumn<T, V extends string | null | undefined>(
  id: string,
  header: string,
  value: (row: T) => V,
  show: (value: V, row: NoInfer<T>) => ComponentChildren,
): Column<T> {
  return {
    id,
    header,
    kind: 'decimal',
    value: (row) => value(row) ?? null,
    render: (row) => show(value(row), row),
  };
}

/** A column of instants: sorted on their ISO text, shown as "2026-11-20 14:05 UTC". */
export function instantColumn<T>(
  id: string,
  header: string,
  value: (row: T) => string | null | undefined,
): Column<T> {
  return {
    id,
    header,
    value: (row) => value(row) ?? '',
    render: (row) => formatInstant(value(row)),
  };
}

/**
 * A column of buttons that each pick their row (to show its chart or its lines below the
 * table), not sorted: `pressed` marks the row shown; `name` finishes the button's name for
 * a screen reader, since every button reads `label` on screen.
 */
export function pickColumn<T>(
  id: string,
  header: string,
  button: {
    label: string;
    name: (row: T) => ComponentChildren;
    pressed: (row: T) => boolean;
    pick: (row: T) => void;
  },
): Column<T> {
  return {
    id,
    header,
    sortable: false,
    value: () => null,
    render: (row) => (
      <button type="button" aria-pressed={button.pressed(row)} onClick={() => button.pick(row)}>
        {button.label}
        <span class="visually-hidden"> {button.name(row)}</span>
      </button>
    ),
  };
}

interface TableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  initialSort?: SortingState;
  empty?: string;
  rowKey?: (row: T) => string;
  testId?: string;
}

function decimalOrNull(value: unknown): string | null {
  return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? value : null;
}

/** A table sorted by clicking (or Enter/Space on) a column's header button. */
export function DataTable<T>(props: TableProps<T>) {
  const { caption, columns, rows, initialSort = [], empty = 'Nothing to show.' } = props;
  const [sorting, setSorting] = useState<SortingState>(initialSort);
  const definitions: ColumnDef<T, unknown>[] = columns.map((column) => ({
    id: column.id,
    header: column.header,
    accessorFn: column.value,
    enableSorting: column.sortable !== false,
    sortingFn:
      column.kind === 'decimal'
        ? (a, b, id) => {
            const left = decimalOrNull(a.getValue(id));
            const right = decimalOrNull(b.getValue(id));
            if (left === null || right === null) return left === right ? 0 : left === null ? -1 : 1;
            return compareDecimals(left, right);
          }
        : 'alphanumeric',
  }));
  const table = createTable<T>({
    data: rows,
    columns: definitions,
    state: {},
    onStateChange: () => undefined,
    renderFallbackValue: null,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });
  table.setOptions((previous) => ({
    ...previous,
    state: { ...table.initialState, sorting },
    onSortingChange: (updater) =>
      setSorting((old) => (typeof updater === 'function' ? updater(old) : updater)),
  }));
  const byId = new Map(columns.map((column) => [column.id, column]));
  return (
    <div class="table-wrap">
      <table data-testid={props.testId}>
        <caption>{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const column = byId.get(header.column.id) as Column<T>;
                const direction = header.column.getIsSorted();
                const ariaSort =
                  direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : 'none';
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-sort={ariaSort}
                    class={column.kind === 'decimal' ? 'num' : undefined}
                  >
                    {header.column.getCanSort() ? (
                      <button
                        type="button"
                        class="sort"
                        onClick={header.column.getToggleSortingHandler()}
                      >
                        {column.header}
                        <span aria-hidden="true">
                          {direction === 'asc' ? ' ▲' : direction === 'desc' ? ' ▼' : ' ↕'}
                        </span>
                      </button>
                    ) : (
                      column.header
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.map((row) => (
            <tr key={props.rowKey ? props.rowKey(row.original) : row.id}>
              {row.getVisibleCells().map((cell) => {
                const column = byId.get(cell.column.id) as Column<T>;
                const content = column.render
                  ? column.render(row.original)
                  : (column.value(row.original) ?? '—');
                return (
                  <td key={cell.id} class={column.kind === 'decimal' ? 'num' : undefined}>
                    {content}
                  </td>
                );
              })}
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td colSpan={columns.length} class="empty">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
