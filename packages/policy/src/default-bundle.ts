import { resolve } from 'node:path';

/**
 * The committed default bundle (`policies/bundle/bundle.tar.gz`). Resolves the same from
 * `src/` and `dist/`, which sit at the same depth.
 */
export const DEFAULT_BUNDLE_PATH = resolve(__dirname, '../../../policies/bundle/bundle.tar.gz');
