import { defineConfig } from 'vite';

/**
 * The console is served by the service under /console (packages/api/src/http/console-static.ts):
 * hashed assets under /console/assets/, index.html for every app route. No inline script or
 * style, so the service's Content-Security-Policy needs no 'unsafe-inline'.
 */
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
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
