import { useCallback, useEffect, useState } from 'preact/hooks';
import type { TypedDocumentString } from '../gql/graphql';
import { ApiError } from './client';

export interface QueryState<R> {
  data: R | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Runs a typed operation now and whenever its variables change; `skip` holds it back. */
export function useQuery<R, V>(
  run: (document: TypedDocumentString<R, V>, variables: V) => Promise<R>,
  document: TypedDocumentString<R, V>,
  variables: V,
  skip = false,
): QueryState<R> {
  const [data, setData] = useState<R | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    let current = true;
    setLoading(true);
    setError(null);
    run(document, variables).then(
      (answer) => {
        if (!current) return;
        setData(answer);
        setLoading(false);
      },
      (failure: unknown) => {
        if (!current) return;
        setError(
          failure instanceof ApiError || failure instanceof Error
            ? failure.message
            : String(failure),
        );
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
    // The variables are compared by value (key), not identity.
  }, [key, generation, skip]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  return { data, error, loading, reload };
}
