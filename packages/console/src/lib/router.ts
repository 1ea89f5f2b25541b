import { useEffect, useState } from 'preact/hooks';

/** The console lives under this path (Vite's base, the service's mount). */
export const BASE = '/console';

/** The app path ("/budgets") of a location pathname ("/console/budgets/"). */
export function appPath(pathname: string): string {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const trimmed = rest.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/** The href of an app path. */
export function href(path: string): string {
  return path === '/' ? `${BASE}/` : `${BASE}${path}`;
}

/** The current app path; follows navigate() and the browser's back and forward. */
export function useLocation(): string {
  const [path, setPath] = useState(() => appPath(location.pathname));
  useEffect(() => {
    const update = () => setPath(appPath(location.pathname));
    addEventListener('popstate', update);
    addEventListener('purser:navigate', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('purser:navigate', update);
    };
  }, []);
  return path;
}

export function navigate(path: string): void {
  history.pushState(null, '', href(path));
  dispatchEvent(new Event('purser:navigate'));
}
