import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import express from 'express';
import fc from 'fast-check';
import { acceptsGzip, CONSOLE_CSP, consolePath, consoleStatic } from './console-static';

const INDEX = '<!doctype html><title>console</title><script src="/console/assets/app-1a2b.js">';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const SECRET = 'outside-the-console-dir';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A raw request: the path goes on the wire as written (fetch would normalise dot segments). */
function get(port: number, rawPath: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<Answer>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, path: rawPath, method, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('consoleStatic', () => {
  let root: string;
  let server: http.Server;
  let port: number;
  let missingServer: http.Server;
  let missingPort: number;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'console-static-'));
    const dist = path.join(root, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'app-1a2b.js'), SCRIPT);
    writeFileSync(path.join(dist, 'assets', 'app-1a2b.css'), 'body{color:red}');
    writeFileSync(path.join(dist, 'assets', 'unknown.exe'), 'MZ');
    writeFileSync(path.join(root, 'secret.txt'), SECRET);
    const app = express();
    app.use('/console', consoleStatic(dist));
    app.use((_request, response) => {
      response.status(404).send('fallthrough');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    const missing = express();
    missing.use('/console', consoleStatic(path.join(root, 'not-built')));
    missingServer = missing.listen(0, '127.0.0.1');
    await new Promise((resolve) => missingServer.once('listening', resolve));
    missingPort = (missingServer.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => missingServer.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it('should answer index.html for the app and its routes, never cached, with a strict CSP', async () => {
    for (const route of ['/console', '/console/', '/console/budgets', '/console/a/b?x=1']) {
      const answer = await get(port, route);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(answer.headers['cache-control']).toBe('no-cache');
      expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.body.toString()).toBe(INDEX);
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });

  it('should serve hashed assets with their type, a long cache and gzip when asked', async () => {
    const plain = await get(port, '/console/assets/app-1a2b.js');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.body.toString()).toBe(SCRIPT);
    const zipped = await get(port, '/console/assets/app-1a2b.js', { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(SCRIPT.length);
    expect(gunzipSync(zipped.body).toString()).toBe(SCRIPT);
    const css = await get(port, '/console/assets/app-1a2b.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await get(port, '/console/assets/app-1a2b.css', {
      'if-none-match': String(css.headers.etag),
    });
    expect(again.status).toBe(304);
    // The gzip body has a tag of its own; a refused gzip gets the plain body; lists and weak
    // tags match.
    expect(zipped.headers.etag).not.toBe(plain.headers.etag);
    const cached = await get(port, '/console/assets/app-1a2b.js', {
      'accept-encoding': 'gzip',
      'if-none-match': `"x", W/${String(zipped.headers.etag)}`,
    });
    expect(cached.status).toBe(304);
    const stale = await get(port, '/console/assets/app-1a2b.js', {
      'if-none-match': String(zipped.headers.etag),
    });
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toBe(SCRIPT);
    const refused = await get(port, '/console/assets/app-1a2b.js', {
      'accept-encoding': 'br, gzip;q=0',
    });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString()).toBe(SCRIPT);
    const head = await get(port, '/console/assets/app-1a2b.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('should answer 404 for a missing asset or file and 405 for a write', async () => {
    for (const missing of [
      '/console/assets/nope-123.js',
      '/console/favicon.ico',
      '/console/assets/unknown.exe',
    ]) {
      const answer = await get(port, missing);
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect((await get(port, '/console/', {}, 'POST')).status).toBe(405);
  });

  it('should refuse paths that try to leave the directory', async () => {
    for (const attack of [
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/%00',
      '/console/%E0%A4%A',
    ]) {
      const answer = await get(port, attack);
      expect(answer.status).not.toBe(500);
      expect(answer.body.toString()).not.toContain(SECRET);
    }
  });

  it('should answer 503 naming the build when the console is not built', async () => {
    const answer = await get(missingPort, '/console/');
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toContain('pnpm build');
  });

  it('should never 500 nor serve anything but its own files on generated paths', async () => {
    const known = new Set([INDEX, SCRIPT, 'body{color:red}']);
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '%2e%2e', '%2E.', '%2f', '%5c', '%00', '%', '%zz', 'assets'),
      fc.constantFrom('index.html', 'app-1a2b.js', 'secret.txt', '', '~', '%C0%AE', '//'),
      fc.string({ maxLength: 12 }).map((text) => encodeURIComponent(text)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 6 }), async (segments) => {
        const answer = await get(port, `/console/${segments.join('/')}`);
        expect([200, 304, 404]).toContain(answer.status);
        if (answer.status === 200) expect(known.has(answer.body.toString())).toBe(true);
        expect(answer.body.toString()).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
  });

  it('should answer generated Accept-Encoding and If-None-Match headers with the script, whole', async () => {
    const space = fc.constantFrom(' ', '\t', ' '.repeat(1000));
    const coding = fc.oneof(
      fc.constantFrom('gzip', 'GZIP', 'br', 'identity', '*', 'deflate', ''),
      fc.string({ maxLength: 8 }),
    );
    const entry = fc
      .tuple(space, coding, space, fc.option(fc.constantFrom('0', '1', '0.5', '0.0', 'x', '')))
      .map(([before, name, after, q]) => `${before}${name}${after}${q === null ? '' : `;q=${q}`}`);
    const header = fc.array(entry, { maxLength: 5 }).map((entries) => entries.join(','));
    const tags = fc
      .array(fc.oneof(fc.constantFrom('*', 'W/"x"', '"', ''), fc.string({ maxLength: 10 })), {
        maxLength: 4,
      })
      .map((list) => list.join(`,${' '.repeat(100)}`));
    await fc.assert(
      fc.asyncProperty(header, tags, async (accept, match) => {
        const answer = await get(port, '/console/assets/app-1a2b.js', {
          'accept-encoding': accept,
          'if-none-match': match,
        });
        expect([200, 304]).toContain(answer.status);
        if (answer.status !== 200) return;
        const body =
          answer.headers['content-encoding'] === 'gzip' ? gunzipSync(answer.body) : answer.body;
        expect(body.toString()).toBe(SCRIPT);
        expect(answer.headers['content-encoding'] === 'gzip').toBe(acceptsGzip(accept));
      }),
      { numRuns: 200 },
    );
  });

  it('should read gzip and its q from an Accept-Encoding value', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('br, GZip ;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('gzip ; q = 0.0')).toBe(false);
    expect(acceptsGzip('x-gzip, deflate')).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    // The value that made the former regular expression backtrack on every split of the spaces.
    expect(acceptsGzip(`gzip${' '.repeat(16_000)}x`)).toBe(false);
  });

  it('should decode a path or say it cannot name a file', () => {
    expect(consolePath('/assets/a%20b.js')).toBe('/assets/a b.js');
    expect(consolePath('/%2e%2e/x')).toBeNull();
    expect(consolePath('/a%5cb')).toBeNull();
    expect(consolePath('/%E0%A4%A')).toBeNull();
    expect(consolePath('/x%00')).toBeNull();
  });
});
