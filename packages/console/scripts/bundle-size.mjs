// The console's download size: every built file gzipped, summed. The build fails past the
// budget (300 KB); the figure is written to dist/bundle-size.json for the README and tests.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 300 * 1024;
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

const sizes = files(dist)
  .filter((file) => !file.endsWith('bundle-size.json'))
  .map((file) => {
    const body = readFileSync(file);
    return {
      file: path.relative(dist, file),
      bytes: body.length,
      gzip: gzipSync(body, { level: 9 }).length,
    };
  });
const gzip = sizes.reduce((total, item) => total + item.gzip, 0);
const bytes = sizes.reduce((total, item) => total + item.bytes, 0);
writeFileSync(
  path.join(dist, 'bundle-size.json'),
  `${JSON.stringify({ gzip, bytes, budget: BUDGET_BYTES, files: sizes }, null, 2)}\n`,
);
process.stdout.write(
  `console bundle: ${(gzip / 1024).toFixed(1)} KB gzipped (${(bytes / 1024).toFixed(1)} KB raw), budget ${BUDGET_BYTES / 1024} KB\n`,
);
if (gzip > BUDGET_BYTES) {
  process.stderr.write(
    `The console bundle is over its budget: ${gzip} > ${BUDGET_BYTES} bytes gzipped\n`,
  );
  process.exit(1);
}
