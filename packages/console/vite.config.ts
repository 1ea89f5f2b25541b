import { defineConfig } from 'vite';

/**
 * The console is served by the service under /console (packages/api/src/http/console-static.ts):
 * hashed assets under /console/assets/, index.html for every app route. No inline script or
 * style, so the service's Content-Security-Policy needs no 'unsafe-inline'.
 */
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  // `pnpm --filter @purser/console dev`: the app with hot reload on :5173/console/, the API
  // calls passed to a service on :4000 (PURSER_API_URL to point elsewhere).
  server: {
    proxy: Object.fromEntries(
      ['/graphql', '/v1'].map((path) => [
        path,
        { target: process.env.PURSER_API_URL ?? 'http://localhost:4000', changeOrigin: true },
      ]),
    ),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
