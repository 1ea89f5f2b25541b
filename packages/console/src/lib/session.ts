/**
 * The API key the console signs in with, kept in sessionStorage: it lives as long as the tab
 * and is never written to localStorage or a cookie.
 */
const KEY = 'purser.apiKey';

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function readKey(store: KeyStore = sessionStorage): string | null {
  const value = store.getItem(KEY);
  return value && value.trim() ? value : null;
}

export function saveKey(key: string, store: KeyStore = sessionStorage): void {
  store.setItem(KEY, key.trim());
}

export function forgetKey(store: KeyStore = sessionStorage): void {
  store.removeItem(KEY);
}
