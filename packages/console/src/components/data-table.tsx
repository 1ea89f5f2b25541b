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

export interface Column<T> {
  id: string;
  header: string;
  /** The value sorted on: money and quantities as decimal strings. */
  value: (row: T) => string | number | null;
  render?: (row: T) => ComponentChildren;
  kind?: 'text' | 'decimal';
  sortable?: boolean;
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
