import type { FunctionComponent } from 'preact';
import type { TypedDocumentString } from '../gql/graphql';
import type { Me } from './permissions';

/** What every page gets: who is signed in, the key, and the typed GraphQL call. */
export interface PageProps {
  me: Me;
  apiKey: string;
  run: <R, V>(document: TypedDocumentString<R, V>, variables: V) => Promise<R>;
}

/** A page of the console: one file under pages/, one line in routes.ts. */
export interface PageRoute {
  /** Under /console: "/" is the overview. */
  path: string;
  title: string;
  /** The page shows for keys with this permission. */
  permission: string;
  component: FunctionComponent<PageProps>;
}
