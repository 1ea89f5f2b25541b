import { useEffect, useRef, useState } from 'preact/hooks';
import { graphql } from './gql';
import type { TypedDocumentString } from './gql/graphql';
import { ApiError, request } from './lib/client';
import type { PageRoute } from './lib/page';
import { can, type Me } from './lib/permissions';
import { href, navigate, useLocation } from './lib/router';
import { forgetKey, readKey, saveKey } from './lib/session';
import { ROUTES } from './routes';

const MeQuery = graphql(`
  query Me {
    me {
      keyId
      name
      role
      permissions
    }
  }
`);

function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (key: string, me: Me) => void;
  notice: string | null;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!key.trim()) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    try {
      const answer = await request(key.trim(), MeQuery, {});
      onSignedIn(key.trim(), answer.me);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.unauthenticated
          ? 'This key is not valid (unknown or revoked).'
          : failure instanceof Error
            ? failure.message
            : String(failure),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>Purser console</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
        />
        <p id="signin-help" class="help">
          Kept for this tab only (session storage); closing the tab signs you out.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function NavLink({ route, current }: { route: PageRoute; current: boolean }) {
  return (
    <a
      href={href(route.path)}
      aria-current={current ? 'page' : undefined}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        navigate(route.path);
      }}
    >
      {route.title}
    </a>
  );
}

export function App() {
  const [key, setKey] = useState<string | null>(() => readKey());
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const path = useLocation();
  const heading = useRef<HTMLHeadingElement>(null);

  const signOut = (message: string | null = null) => {
    forgetKey();
    setKey(null);
    setMe(null);
    setNotice(message);
  };

  useEffect(() => {
    if (!key || me) return;
    request(key, MeQuery, {}).then(
      (answer) => setMe(answer.me),
      (failure: unknown) => {
        // Only a refused key signs out; an outage keeps the key and says to reload.
        if (failure instanceof ApiError && failure.unauthenticated) {
          signOut(`Signed out: ${failure.message}`);
        } else {
          setNotice(
            `Purser did not answer (${failure instanceof Error ? failure.message : String(failure)}): reload to try again`,
          );
        }
      },
    );
  }, [key]);

  const visible = ROUTES.filter((route) => can(me, route.permission));
  const route = visible.find((candidate) => candidate.path === path);
  const shownPath = useRef<string | null>(null);
  useEffect(() => {
    if (route) document.title = `${route.title} · Purser`;
    // After a navigation (not the first page shown) focus moves to the new page's heading, so
    // keyboard and screen-reader users land on what changed.
    if (shownPath.current !== null && shownPath.current !== route?.path) heading.current?.focus();
    shownPath.current = route?.path ?? '';
  }, [route?.path]);

  if (!key) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(signedKey, answer) => {
          saveKey(signedKey);
          setKey(signedKey);
          setMe(answer);
          setNotice(null);
        }}
      />
    );
  }
  if (!me) return <p role="status">Signing in…</p>;

  const run = async <R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> => {
    try {
      return await request(key, document, variables);
    } catch (failure) {
      if (failure instanceof ApiError && failure.unauthenticated)
        signOut('Your key is no longer valid.');
      throw failure;
    }
  };
  const Page = route?.component;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Purser</span>
        <span class="who" data-testid="who">
          {me.name} · <span data-testid="role">{me.role}</span>
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <div class="shell">
        <nav aria-label="Main">
          <ul>
            {visible.map((item) => (
              <li key={item.path}>
                <NavLink route={item} current={item.path === path} />
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          <h1 tabIndex={-1} ref={heading}>
            {route ? route.title : 'Not found'}
          </h1>
          {Page ? (
            <Page key={route.path} me={me} apiKey={key} run={run} />
          ) : (
            <p>
              No page here for your role. <a href={href('/')}>Go to the overview</a>.
            </p>
          )}
        </main>
      </div>
    </>
  );
}
