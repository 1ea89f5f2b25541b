import { type ClassType, Field, ObjectType } from 'type-graphql';
import { badInput } from '../errors';

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage: boolean;
  @Field(() => String, { nullable: true }) endCursor?: string;
}

/** Relay-style connection types for `T`: `{ edges { cursor node } pageInfo }`. */
export function Connection<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field(() => String) cursor: string;
    @Field(() => node) node: T;
  }
  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge]) edges: Edge[];
    @Field(() => PageInfo) pageInfo: PageInfo;
  }
  return ConnectionType;
}

export const MAX_PAGE_SIZE = 500;
/** The page a list field answers when its `first` is left out. */
export const DEFAULT_PAGE_SIZE = 50;

/** Opaque cursors over a bigint id, newest first. */
export function encodeCursor(id: string): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): string | null {
  if (!cursor) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:(\d+)$/.exec(text);
  if (!match) throw badInput(`after: "${cursor}" is not a cursor this API returned`);
  return match[1];
}

export function pageSize(first: number | undefined | null): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE} (got ${size})`);
  return size;
}

/** Builds a page from rows fetched with `LIMIT size + 1`. */
export function toPage<T extends { id: string }, N>(
  rows: T[],
  size: number,
  toNode: (row: T) => N,
) {
  const hasNextPage = rows.length > size;
  const page = rows.slice(0, size);
  return {
    edges: page.map((row) => ({ cursor: encodeCursor(row.id), node: toNode(row) })),
    pageInfo: {
      hasNextPage,
      endCursor: page.length > 0 ? encodeCursor(page[page.length - 1].id) : undefined,
    },
  };
}
