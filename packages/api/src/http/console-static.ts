import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';

/**
 * The web console (`packages/console`, built by `pnpm build` into its `dist/`) served under
 * `/console`. The built files are read once into memory, so a request can only ever name one
 * of them: no path reaches the file system, none can escape the directory. Hashed assets
 * (`/console/assets/…`) are cached for a year; every other path without a file is an app
 * route and gets `index.html` (never cached); a missing asset is a 404.
 */

/** Scripts, styles, images and API calls from this origin only; no inline code, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Hashed file names (Vite's `assets/`) never change content: cached for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface ConsoleFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  immutable: boolean;
}

/** Every file under `dir` by its URL path (`/assets/index-abc.js`), read into memory. */
export function readConsoleFiles(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const urlPath = `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(full, urlPath);
      else if (entry.isFile()) {
        const extension = path.extname(entry.name).toLowerCase();
        const type = CONTENT_TYPES[extension];
        if (!type) continue;
        const body = readFileSync(full);
        const compressible = /^(text\/|application\/json|image\/svg)/.test(type);
        const gzip = compressible && body.length > 512 ? gzipSync(body, { level: 9 }) : null;
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        files.set(urlPath, { body, gzip, type, etag, immutable: urlPath.startsWith('/assets/') });
      }
    }
  };
  walk(dir, '');
  return files;
}

/** Where `pnpm build` puts the console, from this file in `packages/api/{src,dist}/http/`. */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '../../../console/dist');

/**
 * The URL path under the mount, decoded, or null when it cannot name a file (bad escapes,
 * NUL, backslashes, dot segments).
 */
export function consolePath(rawPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || /[\0\\]/.test(decoded)) return null;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return null;
  return decoded;
}

function setCommonHeaders(response: Response) {
  response.setHeader('Content-Security-Policy', CONSOLE_CSP);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function notFound(response: Response, message: string) {
  response.status(404).type('text/plain; charset=utf-8').send(message);
}

/**
 * The Express handler mounted at `/console`. `dir` is read at the first request (and again
 * while it is missing, so a service started before the build serves it once built).
 */
export function consoleStatic(dir: string = DEFAULT_CONSOLE_DIR) {
  let files: Map<string, ConsoleFile> | null = null;
  const load = () => {
    if (!files && existsSync(path.join(dir, 'index.html')) && statSync(dir).isDirectory()) {
      files = readConsoleFiles(dir);
    }
    return files;
  };
  return (request: Request, response: Response) => {
    setCommonHeaders(response);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      response.status(405).type('text/plain; charset=utf-8').send('Method not allowed');
      return;
    }
    const loaded = load();
    if (!loaded) {
      response
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `pnpm build`.');
      return;
    }
    const wanted = consolePath(request.path);
    if (wanted === null) {
      notFound(response, 'Not found');
      return;
    }
    let file = loaded.get(wanted);
    if (!file) {
      // An asset or any path with a file extension that is not there is a 404; every other
      // path is one of the app's routes, answered by the app.
      if (wanted.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(wanted)) {
        notFound(response, `No console file ${wanted}`);
        return;
      }
      file = loaded.get('/index.html') as ConsoleFile;
    }
    response.setHeader('Content-Type', file.type);
    response.setHeader('Cache-Control', file.immutable ? IMMUTABLE : 'no-cache');
    response.setHeader('Vary', 'Accept-Encoding');
    // gzip unless the client refuses it (`gzip;q=0`); each body its own tag.
    const gzip =
      file.gzip !== null && acceptsGzip(String(request.headers['accept-encoding'] ?? ''));
    const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
    response.setHeader('ETag', etag);
    const matches = String(request.headers['if-none-match'] ?? '')
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''));
    if (matches.includes(etag) || matches.includes('*')) {
      response.status(304).end();
      return;
    }
    const body = gzip ? (file.gzip as Buffer) : file.body;
    if (gzip) response.setHeader('Content-Encoding', 'gzip');
    response.setHeader('Content-Length', String(body.length));
    response.status(200);
    if (request.method === 'HEAD') response.end();
    else response.end(body);
  };
}

/**
 * Whether an Accept-Encoding value takes gzip: listed, with no `q` or a `q` above 0. Read by
 * splitting, one pass over the value (the header comes before any key is checked, and a
 * regular expression over it backtracked quadratically on long runs of spaces).
 */
export function acceptsGzip(header: string): boolean {
  for (const entry of header.split(',')) {
    const [name, ...parameters] = entry.split(';');
    if (name!.trim().toLowerCase() !== 'gzip') continue;
    for (const parameter of parameters) {
      const [key, value] = parameter.split('=');
      if (key!.trim().toLowerCase() === 'q') return Number(value?.trim() ?? '') > 0;
    }
    return true;
  }
  return false;
}
