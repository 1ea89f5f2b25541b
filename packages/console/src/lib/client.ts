import type { TypedDocumentString } from '../gql/graphql';

/** A GraphQL error the console shows: the server's message and its code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The key is unknown or revoked: the console signs out. */
  get unauthenticated(): boolean {
    return this.status === 401 || this.code === 'UNAUTHENTICATED';
  }
}

interface GraphQLAnswer<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** POSTs one typed operation to /graphql with the key; answers its data or throws ApiError. */
export async function request<R, V>(
  key: string,
  document: TypedDocumentString<R, V>,
  variables: V,
  fetcher: Fetch = (input, init) => fetch(input, init),
): Promise<R> {
  const response = await fetcher('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  let answer: GraphQLAnswer<R> & { code?: string; message?: string };
  try {
    answer = (await response.json()) as typeof answer;
  } catch {
    throw new ApiError(
      `The service answered ${response.status} without JSON`,
      undefined,
      response.status,
    );
  }
  if (answer.errors?.length) {
    const [first] = answer.errors;
    throw new ApiError(first.message, first.extensions?.code, response.status);
  }
  if (!response.ok || !answer.data) {
    throw new ApiError(
      answer.message ?? `The service answered ${response.status}`,
      answer.code,
      response.status,
    );
  }
  return answer.data;
}
