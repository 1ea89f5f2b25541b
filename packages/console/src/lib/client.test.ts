import { ApiError, request } from './client';
import { forgetKey, readKey, saveKey } from './session';
import type { TypedDocumentString } from '../gql/graphql';

const DOCUMENT = { toString: () => 'query Me { me { name } }' } as unknown as TypedDocumentString<
  { me: { name: string } },
  Record<string, never>
>;

function answering(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetcher = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { calls, fetcher };
}

describe('client', () => {
  it('should post the operation with the key and answer its data', async () => {
    const { calls, fetcher } = answering(200, { data: { me: { name: 'ops' } } });
    expect(await request('secret-1', DOCUMENT, {}, fetcher)).toEqual({ me: { name: 'ops' } });
    expect(calls[0].url).toBe('/graphql');
    expect((calls[0].init.headers as Record<string, string>).authorization).toBe('Bearer secret-1');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      query: 'query Me { me { name } }',
      variables: {},
    });
  });

  it('should throw the first GraphQL error with its code; 401 means signed out', async () => {
    const forbidden = answering(200, {
      errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }],
    });
    await expect(request('k', DOCUMENT, {}, forbidden.fetcher)).rejects.toMatchObject({
      message: 'no',
      code: 'FORBIDDEN',
    });
    const unknown = answering(401, {
      code: 'UNAUTHENTICATED',
      message: 'A valid API key is required',
    });
    const error = await request('k', DOCUMENT, {}, unknown.fetcher).catch(
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).unauthenticated).toBe(true);
    const html = answering(502, '<html>bad gateway</html>');
    await expect(request('k', DOCUMENT, {}, html.fetcher)).rejects.toThrow(
      'The service answered 502 without JSON',
    );
  });

  it('should keep the key in the store it is given and forget it', () => {
    const map = new Map<string, string>();
    const store = {
      getItem: (key: string) => map.get(key) ?? null,
      setItem: (key: string, value: string) => void map.set(key, value),
      removeItem: (key: string) => void map.delete(key),
    };
    expect(readKey(store)).toBeNull();
    saveKey('  pk_1  ', store);
    expect(readKey(store)).toBe('pk_1');
    forgetKey(store);
    expect(readKey(store)).toBeNull();
  });
});
