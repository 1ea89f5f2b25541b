import { watch, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createHash } from 'node:crypto';

import { PolicyError, toError } from './errors';
import type { PolicyEngine } from './policy-engine';

/** What {@link watchBundle} reports. */
export type BundleWatchEvent =
  | { type: 'swapped'; revision: string; previousRevision: string }
  | { type: 'rejected'; error: PolicyError; revision: string };

/** Options of {@link watchBundle}. */
export interface WatchBundleOptions {
  /** Quiet period after the last change before swapping. Default 200 ms. */
  debounceMs?: number;
}

/** A running watcher; `close` stops it. */
export interface BundleWatcher {
  close(): void;
}

/**
 * Swaps `engine` to the bundle at `path` whenever the file changes. Changes are debounced
 * (a copy or `opa build` writes in several steps), an unchanged file is ignored, and a bad
 * bundle is reported while the active one keeps serving. The directory is watched, so an
 * atomic replace (write elsewhere, then rename) is seen too.
 */
export function watchBundle(
  path: string,
  engine: PolicyEngine,
  onEvent: (event: BundleWatchEvent) => void,
  options: WatchBundleOptions = {},
): BundleWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const file = basename(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const reload = async () => {
    let tarball: Buffer;
    try {
      tarball = readFileSync(path);
    } catch (error) {
      // Mid-rename or deleted: wait for the next change.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      onEvent({
        type: 'rejected',
        revision: engine.revision,
        error: new PolicyError({
          code: 'POLICY_BUNDLE_UNREADABLE',
          message: `cannot read the policy bundle ${path}: ${toError(error).message}`,
          cause: error,
        }),
      });
      return;
    }
    if (createHash('sha256').update(tarball).digest('hex') === engine.bundleSha256) return;
    const result = await engine.swap(tarball);
    if (closed) return;
    onEvent(
      result.ok
        ? { type: 'swapped', revision: result.revision, previousRevision: result.previousRevision }
        : { type: 'rejected', error: result.error, revision: result.revision },
    );
  };

  const watcher = watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed.toString() !== file) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  });

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
